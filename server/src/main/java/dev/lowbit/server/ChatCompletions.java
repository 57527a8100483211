package dev.lowbit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lowbit.engine.LowbitException;
import dev.lowbit.engine.chat.ChatMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** {@code POST /v1/chat/completions}: messages through the model's own chat template. */
final class ChatCompletions extends CompletionEndpoint {
    private static final Set<String> ROLES = Set.of("system", "developer", "user", "assistant");

    @Override
    int[] prompt(RequestFields f, ServingModel m, ServerSettings settings) {
        JsonNode messages = f.required("messages");
        if (!messages.isArray() || messages.isEmpty()) throw ApiException.badRequest("'messages' must be a non-empty array");
        if (messages.size() > settings.maxMessages()) {
            throw ApiException.badRequest("'messages' holds " + messages.size() + " messages, at most " + settings.maxMessages() + " are taken");
        }
        List<ChatMessage> list = new ArrayList<>();
        for (int i = 0; i < messages.size(); i++) {
            RequestFields msg = new RequestFields(messages.get(i));
            JsonNode role = msg.required("role");
            if (!role.isTextual() || !ROLES.contains(role.textValue())) {
                throw ApiException.badRequest("messages[" + i + "].role must be one of " + ROLES);
            }
            String r = role.textValue().equals("developer") ? "system" : role.textValue();
            list.add(new ChatMessage(r, content(msg.node("content"), i)));
        }
        try {
            return m.chat().tokens(list);
        } catch (LowbitException e) { // the template refused the conversation (raise_exception) or hit a bound
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /** A string, or OpenAI's array of parts of which only text parts are taken. */
    private static String content(JsonNode c, int i) {
        if (c == null) return "";
        if (c.isTextual()) return c.textValue();
        if (!c.isArray()) throw ApiException.badRequest("messages[" + i + "].content must be a string or an array of parts");
        StringBuilder sb = new StringBuilder();
        for (JsonNode part : c) {
            if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                throw ApiException.badRequest("messages[" + i + "].content: only parts of type 'text' are supported");
            }
            sb.append(part.get("text").textValue());
        }
        return sb.toString();
    }

    @Override
    String object(boolean chunk) {
        return chunk ? "chat.completion.chunk" : "chat.completion";
    }

    @Override
    String idPrefix() {
        return "chatcmpl-";
    }

    @Override
    ObjectNode delta(String piece, boolean first) {
        ObjectNode choice = Exchanges.JSON.createObjectNode();
        ObjectNode delta = choice.putObject("delta");
        if (first) delta.put("role", "assistant");
        if (!piece.isEmpty() || first) delta.put("content", piece);
        return choice;
    }

    @Override
    ObjectNode whole(String text) {
        ObjectNode choice = Exchanges.JSON.createObjectNode();
        choice.putObject("message").put("role", "assistant").put("content", text);
        return choice;
    }
}
