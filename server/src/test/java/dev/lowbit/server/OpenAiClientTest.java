package dev.lowbit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Real clients against lowbit serve: OpenAI's official Node.js library, and curl. */
class OpenAiClientTest {
    @Test
    void openAisNodeClientChatsStreamsCompletesAndSeesErrors() throws Exception {
        try (TestServer s = new TestServer(2, 2, "test-key")) {
            JsonNode out = TestServer.JSON.readTree(NodeScripts.node("openai-client.mjs", s.uri("/v1").toString(), "test-key"));
            assertEquals("stories260K", out.path("models").get(0).asText());

            JsonNode chat = out.path("chat");
            assertEquals("chat.completion", chat.path("object").asText());
            assertEquals("assistant", chat.path("role").asText());
            assertEquals("length", chat.path("finish").asText());
            assertEquals(24, chat.path("usage").path("completion_tokens").asInt());
            assertTrue(chat.path("text").asText().length() > 10, chat.toString());

            JsonNode stream = out.path("stream");
            assertEquals(chat.path("text").asText(), stream.path("text").asText(), "the same seed streams the same text");
            assertEquals("length", stream.path("finish").asText());
            assertEquals(chat.path("usage"), stream.path("usage"));
            assertTrue(stream.path("chunks").asInt() >= 10, stream.toString());

            // The same request through Java's client: the Node client sent what it should.
            JsonNode direct = TestServer.json(s.post("/v1/completions", "{\"prompt\":\"Once upon a time\",\"max_tokens\":16,\"temperature\":0}",
                    "Authorization", "Bearer test-key"));
            assertEquals(direct.path("choices").get(0).path("text").asText(), out.path("completion").path("text").asText());
            assertEquals(16, out.path("completion").path("usage").path("completion_tokens").asInt());

            assertEquals(400, out.path("error").path("status").asInt(), out.path("error").toString());
            assertEquals("invalid_request_error", out.path("error").path("type").asText(), out.path("error").toString());
        }
    }

    @Test
    void curlStreamsServerSentEventsAndGetsErrorStatuses() throws Exception {
        String curl = NodeScripts.require("curl", "install curl (Debian: apt-get install curl)");
        try (TestServer s = new TestServer(2, 2, null)) {
            String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":12,\"temperature\":0,\"stream\":true}";
            String sse = NodeScripts.run(List.of(curl, "-sS", "-N", s.uri("/v1/chat/completions").toString(), "-H", "Content-Type: application/json",
                    "-d", body), 60);
            List<String> events = TestServer.events(sse);
            assertEquals("[DONE]", events.getLast());
            String whole = TestServer.json(s.post("/v1/chat/completions", body.replace(",\"stream\":true", "")))
                    .path("choices").get(0).path("message").path("content").asText();
            assertEquals(whole, TestServer.streamedText(events));
            String status = NodeScripts.run(List.of(curl, "-s", "-o", "/dev/null", "-w", "%{http_code}", s.uri("/v1/chat/completions").toString(),
                    "-d", "{\"messages\": nope}"), 60);
            assertEquals("400", status);
        }
    }
}
