package dev.lowbit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.SharedData;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A server on a free loopback port serving the real stories260K model, and a client for it. */
final class TestServer implements AutoCloseable {
    static final Path MODEL = SharedData.require("models/stories260K/stories260K.bin");
    static final ObjectMapper JSON = new ObjectMapper();

    final LowbitServer server;
    final HttpClient client = HttpClient.newHttpClient();

    TestServer(int parallel, int queue, String apiKey) throws IOException {
        this(new ServerSettings("127.0.0.1", 0, apiKey, parallel, 512, queue, 64 << 10, 8, "stories260K"));
    }

    TestServer(ServerSettings settings) throws IOException {
        server = new LowbitServer(settings);
        server.load(TestServer::loadModel, null, false);
    }

    static LoadedModel loadModel() {
        return ModelLoader.load(MODEL, null, 2);
    }

    URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    HttpResponse<String> post(String path, String body, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) b.headers(headers);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path, String... headers) throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).GET();
        if (headers.length > 0) b.headers(headers);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        return JSON.readTree(r.body());
    }

    /** The {@code data:} events of a server-sent-events body, [DONE] included as text. */
    static List<String> events(String body) {
        List<String> out = new ArrayList<>();
        for (String event : body.split("\n\n")) {
            if (event.isBlank()) continue;
            if (!event.startsWith("data: ")) throw new AssertionError("not an SSE data event: " + event);
            out.add(event.substring(6));
        }
        return out;
    }

    /** The text a stream of chat or text completion chunks carries. */
    static String streamedText(List<String> events) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (String e : events) {
            if (e.equals("[DONE]")) continue;
            JsonNode choices = JSON.readTree(e).path("choices");
            if (choices.isEmpty()) continue;
            JsonNode c = choices.get(0);
            sb.append(c.has("delta") ? c.path("delta").path("content").asText("") : c.path("text").asText(""));
        }
        return sb.toString();
    }

    @Override
    public void close() {
        server.close();
    }
}
