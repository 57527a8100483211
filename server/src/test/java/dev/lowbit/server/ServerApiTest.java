package dev.lowbit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.chat.ChatMessage;
import dev.lowbit.engine.chat.ChatPrompt;
import dev.lowbit.engine.chat.ChatTemplate;
import dev.lowbit.engine.generate.Generator;
import dev.lowbit.engine.sampling.Sampler;
import dev.lowbit.engine.sampling.SamplerSettings;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAI endpoints on the real stories260K model, checked against the engine's own one-request generator. */
class ServerApiTest {
    private static TestServer s;
    private static LoadedModel reference;

    @BeforeAll
    static void start() throws Exception {
        s = new TestServer(4, 4, null);
        reference = TestServer.loadModel();
    }

    @AfterAll
    static void stop() {
        s.close();
        reference.close();
    }

    /** What {@link Generator} makes of these prompt tokens alone: the reference for the server's text. */
    static String alone(int[] prompt, int max, SamplerSettings sampling) {
        Generator g = new Generator(reference.model(), reference.tokenizer(), 512, 128);
        StringBuilder sb = new StringBuilder();
        g.generate(prompt, max, new Sampler(sampling, reference.tokenizer().vocabSize()), sb::append);
        return sb.toString();
    }

    @Test
    void healthAndModelsDescribeTheLoadedModel() throws Exception {
        HttpResponse<String> h = s.get("/health");
        assertEquals(200, h.statusCode());
        assertEquals("ok", TestServer.json(h).path("status").asText());
        assertEquals(4, TestServer.json(h).path("slots_idle").asInt() + TestServer.json(h).path("slots_processing").asInt());
        JsonNode models = TestServer.json(s.get("/v1/models"));
        assertEquals("list", models.path("object").asText());
        assertEquals("stories260K", models.path("data").get(0).path("id").asText());
        assertEquals(512, models.path("data").get(0).path("meta").path("n_vocab").asInt());
    }

    @Test
    void aTextCompletionIsWhatTheGeneratorWritesAloneWithUsage() throws Exception {
        HttpResponse<String> r = s.post("/v1/completions", "{\"prompt\":\"Once upon a time\",\"max_tokens\":40,\"temperature\":0}");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode j = TestServer.json(r);
        int[] prompt = reference.tokenizer().encode("Once upon a time", true, false);
        assertEquals(alone(prompt, 40, SamplerSettings.greedy()), j.path("choices").get(0).path("text").asText());
        assertEquals("text_completion", j.path("object").asText());
        assertEquals("length", j.path("choices").get(0).path("finish_reason").asText());
        assertEquals(prompt.length, j.path("usage").path("prompt_tokens").asInt());
        assertEquals(40, j.path("usage").path("completion_tokens").asInt());
        assertEquals(prompt.length + 40, j.path("usage").path("total_tokens").asInt());
    }

    @Test
    void aSeededChatCompletionStreamsTheSameTextItAnswersWholeThroughTheTemplate() throws Exception {
        String body = "{\"messages\":[{\"role\":\"system\",\"content\":\"Be kind.\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Tell me a story\"}]}],"
                + "\"max_tokens\":30,\"seed\":7,\"temperature\":0.9,\"top_k\":20,\"top_p\":0.9,\"min_p\":0.01";
        JsonNode whole = TestServer.json(s.post("/v1/chat/completions", body + "}"));
        String text = whole.path("choices").get(0).path("message").path("content").asText();
        assertEquals("assistant", whole.path("choices").get(0).path("message").path("role").asText());
        int[] prompt = new ChatPrompt(ChatTemplate.forModel(reference.chatTemplate(), reference.tokenizer()), reference.tokenizer())
                .tokens(List.of(new ChatMessage("system", "Be kind."), new ChatMessage("user", "Tell me a story")));
        assertEquals(alone(prompt, 30, new SamplerSettings(0.9f, 20, 0.9f, 0.01f, 7)), text);
        assertEquals(prompt.length, whole.path("usage").path("prompt_tokens").asInt());

        HttpResponse<String> streamed = s.post("/v1/chat/completions", body + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        assertEquals("text/event-stream", streamed.headers().firstValue("Content-Type").orElse(""));
        List<String> events = TestServer.events(streamed.body());
        assertEquals("[DONE]", events.getLast());
        assertEquals(text, TestServer.streamedText(events));
        JsonNode first = TestServer.JSON.readTree(events.getFirst());
        assertEquals("chat.completion.chunk", first.path("object").asText());
        assertEquals("assistant", first.path("choices").get(0).path("delta").path("role").asText());
        JsonNode last = TestServer.JSON.readTree(events.get(events.size() - 3));
        assertEquals("length", last.path("choices").get(0).path("finish_reason").asText());
        JsonNode usage = TestServer.JSON.readTree(events.get(events.size() - 2));
        assertTrue(usage.path("choices").isEmpty());
        assertEquals(30, usage.path("usage").path("completion_tokens").asInt());
        for (String e : events.subList(0, events.size() - 3)) {
            assertTrue(TestServer.JSON.readTree(e).path("choices").get(0).path("finish_reason").isNull(), e);
        }
    }

    @Test
    void aStopStringEndsTheTextBeforeIt() throws Exception {
        int[] prompt = reference.tokenizer().encode("Once upon a time", true, false);
        String full = alone(prompt, 60, SamplerSettings.greedy());
        String stop = full.substring(30, 33);
        JsonNode j = TestServer.json(s.post("/v1/completions",
                "{\"prompt\":\"Once upon a time\",\"max_tokens\":60,\"temperature\":0,\"stop\":[\"" + stop + "\"]}"));
        assertEquals(full.substring(0, full.indexOf(stop)), j.path("choices").get(0).path("text").asText());
        assertEquals("stop", j.path("choices").get(0).path("finish_reason").asText());
    }

    @Test
    void tokenizeAndDetokenizeRoundTrip() throws Exception {
        JsonNode t = TestServer.json(s.post("/tokenize", "{\"content\":\"Once upon a time\"}"));
        int[] expected = reference.tokenizer().encode("Once upon a time", false, false);
        assertEquals(expected.length, t.path("tokens").size());
        for (int i = 0; i < expected.length; i++) assertEquals(expected[i], t.path("tokens").get(i).asInt());
        JsonNode d = TestServer.json(s.post("/detokenize", "{\"tokens\":" + t.path("tokens") + "}"));
        assertEquals("Once upon a time", d.path("content").asText());
    }

    @Test
    void badRequestsGetOpenAiErrorsWithTheRightStatus() throws Exception {
        record Case(String path, String body, int status, String says) {}
        String big = "x".repeat(70 << 10);
        List<Case> cases = List.of(
                new Case("/v1/chat/completions", "{\"messages\":", 400, "not valid JSON"),
                new Case("/v1/chat/completions", "[1,2]", 400, "JSON object"),
                new Case("/v1/chat/completions", "\u0000\u0000\u0000{", 400, "not valid JSON"), // bytes Jackson alone takes for UTF-32 (no answer before)
                new Case("/v1/chat/completions", "{}", 400, "'messages' is required"),
                new Case("/v1/chat/completions", "{\"messages\":[]}", 400, "non-empty"),
                new Case("/v1/chat/completions", "{\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}", 400, "role"),
                new Case("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":5}]}", 400, "content"),
                new Case("/v1/chat/completions", "{\"messages\":[" + "{\"role\":\"user\",\"content\":\"a\"},".repeat(8) + "{\"role\":\"user\",\"content\":\"a\"}]}", 400, "at most 8"),
                new Case("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":\"5\"}", 400, "'max_tokens' must be an integer"),
                new Case("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1.5}", 400, "'max_tokens' must be an integer"),
                new Case("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":100000}", 400, "'max_tokens' must be in"),
                new Case("/v1/completions", "{\"prompt\":\"x\",\"temperature\":-1}", 400, "'temperature'"),
                new Case("/v1/completions", "{\"prompt\":\"x\",\"stream\":\"yes\"}", 400, "'stream'"),
                new Case("/v1/completions", "{\"prompt\":\"x\",\"stop\":[1]}", 400, "'stop'"),
                new Case("/v1/completions", "{\"prompt\":\"x\",\"n\":3}", 400, "'n'"),
                new Case("/v1/completions", "{\"prompt\":[1,2,99999]}", 400, "not a token id"),
                new Case("/v1/completions", "{\"prompt\":[]}", 400, "empty prompt"),
                new Case("/v1/completions", "{\"prompt\":\"" + "Once upon a time ".repeat(200) + "\"}", 400, "the context holds"),
                new Case("/v1/completions", "{\"prompt\":\"" + big + "\"}", 413, "exceeds"),
                new Case("/v1/nothing", "{}", 404, "no endpoint"),
                new Case("/detokenize", "{\"tokens\":\"abc\"}", 400, "'tokens'"));
        for (Case c : cases) {
            HttpResponse<String> r = s.post(c.path(), c.body());
            assertEquals(c.status(), r.statusCode(), c.body().length() > 200 ? c.path() : c.body());
            JsonNode e = TestServer.json(r).path("error");
            assertTrue(e.path("message").asText().contains(c.says()), e.path("message").asText() + " should say " + c.says());
            assertFalse(e.path("type").asText().isEmpty());
        }
        assertEquals(405, s.get("/v1/chat/completions").statusCode());
        assertEquals(200, s.get("/health").statusCode()); // the server lives on
    }
}
