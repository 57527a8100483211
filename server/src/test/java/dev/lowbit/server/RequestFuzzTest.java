package dev.lowbit.server;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.batch.BatchGenerator;
import dev.lowbit.engine.chat.ChatPrompt;
import dev.lowbit.engine.chat.ChatTemplate;

/**
 * The server's reading of request bodies, fuzzed (Jazzer): any bytes posted to /v1/chat/completions or
 * /v1/completions are parsed and their fields and messages read (through the model's chat template and tokenizer)
 * or refused with a 400 ({@link ApiException}). Anything else would be a 500, or no answer at all — a finding.
 * The committed inputs (RequestFuzzTestInputs) run in ./run-tests; {@code JAZZER_FUZZ=1} fuzzes.
 */
class RequestFuzzTest {
    private static final ServerSettings SETTINGS = new ServerSettings("127.0.0.1", 0, null, 1, 512, 1, 1 << 16, 8, "m");
    private static final ServingModel MODEL = model();

    private static ServingModel model() {
        LoadedModel m = TestServer.loadModel();
        BatchGenerator g = new BatchGenerator(m.model(), m.tokenizer(), 1, 512, 1, 16);
        return new ServingModel("m", m, g, new ChatPrompt(ChatTemplate.forModel(m.chatTemplate(), m.tokenizer()), m.tokenizer()), 0);
    }

    @FuzzTest(maxDuration = "60s")
    void requestBodies(byte[] body) {
        JsonNode json;
        try {
            json = Exchanges.parseJson(body);
        } catch (ApiException refused) {
            if (refused.status() != 400) throw refused;
            return;
        }
        for (CompletionEndpoint endpoint : new CompletionEndpoint[] {new ChatCompletions(), new TextCompletions()}) {
            try {
                RequestFields f = new RequestFields(json);
                GenerationParams p = GenerationParams.read(f, MODEL.generator().contextLength());
                int[] prompt = endpoint.prompt(f, MODEL, SETTINGS);
                p.budget(prompt.length, MODEL.generator().contextLength());
            } catch (ApiException refused) {
                if (refused.status() != 400) throw refused;
            }
        }
    }
}
