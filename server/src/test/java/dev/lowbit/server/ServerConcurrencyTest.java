package dev.lowbit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Several clients at once: the same texts as one at a time, a bounded queue, clients that leave, keys. */
class ServerConcurrencyTest {
    private static String body(int i) {
        String[] prompts = {"Once upon a time", "The cat", "Lily wanted to", "One day, a big", "Tom and Sue", "The sun was"};
        return "{\"prompt\":\"" + prompts[i % prompts.length] + "\",\"max_tokens\":" + (20 + 7 * i) + ",\"seed\":" + (40 + i)
                + ",\"temperature\":0.8" + (i % 2 == 0 ? ",\"stream\":true" : "") + "}";
    }

    private static String text(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        if (r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
            return TestServer.streamedText(TestServer.events(r.body()));
        }
        return TestServer.json(r).path("choices").get(0).path("text").asText();
    }

    @Test
    void theSameSeededRequestsGiveTheSameTextsConcurrentlyAsOneAtATime() throws Exception {
        int n = 6;
        List<String> sequential = new ArrayList<>(), concurrent = new ArrayList<>();
        try (TestServer s = new TestServer(4, 8, null)) {
            for (int i = 0; i < n; i++) sequential.add(text(s.post("/v1/completions", body(i))));
        }
        try (TestServer s = new TestServer(4, 8, null); ExecutorService clients = Executors.newFixedThreadPool(n)) {
            List<Future<HttpResponse<String>>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String b = body(i);
                fs.add(clients.submit(() -> s.post("/v1/completions", b)));
            }
            for (Future<HttpResponse<String>> f : fs) concurrent.add(text(f.get()));
        }
        assertEquals(sequential, concurrent);
        for (String t : sequential) assertTrue(t.length() > 10, t);
    }

    @Test
    void requestsBeyondTheSlotsAndTheQueueGet503AndTheRestComplete() throws Exception {
        try (TestServer s = new TestServer(1, 1, null); ExecutorService clients = Executors.newFixedThreadPool(5)) {
            List<Future<HttpResponse<String>>> fs = new ArrayList<>();
            for (int i = 0; i < 5; i++) fs.add(clients.submit(() -> s.post("/v1/completions", "{\"prompt\":\"Once\",\"max_tokens\":400,\"temperature\":0}")));
            int ok = 0, busy = 0;
            for (Future<HttpResponse<String>> f : fs) {
                HttpResponse<String> r = f.get();
                if (r.statusCode() == 200) ok++;
                if (r.statusCode() == 503) {
                    busy++;
                    assertEquals("server_busy", TestServer.json(r).path("error").path("type").asText());
                }
            }
            assertEquals(5, ok + busy);
            assertTrue(busy >= 3 && ok >= 1, ok + " answered, " + busy + " busy");
        }
    }

    private static long metric(TestServer s, String name) throws Exception {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)$").matcher(s.get("/metrics").body());
        assertTrue(m.find(), name);
        return Long.parseLong(m.group(1));
    }

    @Test
    void aClientThatLeavesEndsItsGenerationAndFreesItsSlot() throws Exception {
        try (TestServer s = new TestServer(2, 2, null)) {
            String body = "{\"prompt\":\"Once upon a time\",\"max_tokens\":480,\"temperature\":0,\"stream\":true}";
            try (Socket socket = new Socket("127.0.0.1", s.server.port())) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                        + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
                out.flush();
                InputStream in = socket.getInputStream();
                String seen = "";
                while (!seen.contains("\"text\"")) seen += new String(in.readNBytes(1), StandardCharsets.UTF_8); // the first piece arrived
            }
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (metric(s, "lowbit_requests_total{reason=\"cancelled\"}") == 0 && System.nanoTime() < deadline) Thread.sleep(5);
            assertEquals(1, metric(s, "lowbit_requests_total{reason=\"cancelled\"}"));
            assertTrue(metric(s, "lowbit_tokens_predicted_total") < 480, "stopped before its limit");
            assertEquals(0, metric(s, "lowbit_requests_processing"));
            assertEquals(200, s.post("/v1/completions", "{\"prompt\":\"Once\",\"max_tokens\":5}").statusCode());
        }
    }

    @Test
    void withAnApiKeyEveryApiRequestNeedsIt() throws Exception {
        try (TestServer s = new TestServer(1, 1, "s3cret")) {
            HttpResponse<String> none = s.get("/v1/models");
            assertEquals(401, none.statusCode());
            assertEquals("authentication_error", TestServer.json(none).path("error").path("type").asText());
            assertEquals(401, s.get("/v1/models", "Authorization", "Bearer wrong").statusCode());
            assertEquals(401, s.post("/v1/completions", "{\"prompt\":\"x\"}").statusCode());
            assertEquals(200, s.get("/v1/models", "Authorization", "Bearer s3cret").statusCode());
            JsonNode ok = TestServer.json(s.post("/v1/completions", "{\"prompt\":\"Once\",\"max_tokens\":3}", "Authorization", "Bearer s3cret"));
            assertEquals(3, ok.path("usage").path("completion_tokens").asInt());
            assertEquals(200, s.get("/health").statusCode()); // health and the page stay open, as llama-server's
            assertEquals(200, s.get("/").statusCode());
        }
    }
}
