package dev.lowbit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lowbit.engine.tokenizer.Tokenizer;

/** {@code POST /v1/completions}: a plain prompt (a string, or token ids), continued. BOS is added as the model wants. */
final class TextCompletions extends CompletionEndpoint {
    @Override
    int[] prompt(RequestFields f, ServingModel m, ServerSettings settings) {
        Tokenizer tok = m.loaded().tokenizer();
        JsonNode prompt = f.required("prompt");
        if (prompt.isTextual()) {
            if (prompt.textValue().length() > settings.maxBodyBytes()) throw ApiException.badRequest("'prompt' is too long");
            return tok.encode(prompt.textValue(), true, false);
        }
        if (prompt.isArray()) return f.tokens("prompt", tok.vocabSize(), m.generator().contextLength());
        throw ApiException.badRequest("'prompt' must be a string or an array of token ids");
    }

    @Override
    String object(boolean chunk) {
        return "text_completion";
    }

    @Override
    String idPrefix() {
        return "cmpl-";
    }

    @Override
    ObjectNode delta(String piece, boolean first) {
        return whole(piece);
    }

    @Override
    ObjectNode whole(String text) {
        ObjectNode choice = Exchanges.JSON.createObjectNode().put("text", text);
        choice.putNull("logprobs");
        return choice;
    }
}
