package dev.lowbit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.LowbitException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

/** /health before, during and after loading, and a model that fails to load. */
class ServerLifecycleTest {
    private static final ServerSettings SETTINGS = new ServerSettings("127.0.0.1", 0, null, 2, 256, 2, 1 << 16, 8, "m");

    private static HttpResponse<String> get(LowbitServer s, String path) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthIs503WhileLoadingAndOkOnceTheModelServes() throws Exception {
        try (LowbitServer s = new LowbitServer(SETTINGS)) {
            CountDownLatch loading = new CountDownLatch(1), release = new CountDownLatch(1);
            Thread loader = Thread.ofVirtual().start(() -> s.load(() -> {
                loading.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
                return TestServer.loadModel();
            }, null, true)); // with the warm-up: /health says 503 until it is done
            loading.await();
            HttpResponse<String> h = get(s, "/health");
            assertEquals(503, h.statusCode());
            assertTrue(h.body().contains("\"loading\""), h.body());
            assertEquals(503, get(s, "/v1/models").statusCode());
            release.countDown();
            loader.join();
            assertEquals(200, get(s, "/health").statusCode());
            assertEquals(200, get(s, "/v1/models").statusCode());
        }
    }

    @Test
    void aModelThatFailsToLoadIsSaidOnHealthAndEveryRequest() throws Exception {
        try (LowbitServer s = new LowbitServer(SETTINGS)) {
            assertThrows(LowbitException.class, () -> s.load(() -> {
                throw new LowbitException("model.gguf: not a GGUF file");
            }, null, false));
            HttpResponse<String> h = get(s, "/health");
            assertEquals(503, h.statusCode());
            assertTrue(h.body().contains("not a GGUF file"), h.body());
            HttpResponse<String> m = get(s, "/v1/models");
            assertEquals(503, m.statusCode());
            assertTrue(m.body().contains("failed to load"), m.body());
        }
    }
}
