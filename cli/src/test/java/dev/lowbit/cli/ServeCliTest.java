package dev.lowbit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.SharedData;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code lowbit serve} as a process: it says where it listens, serves, and on SIGTERM finishes what is in flight. */
class ServeCliTest {
    @Test
    void sigtermLetsAStreamInFlightFinishAndThenExits() throws Exception {
        String model = SharedData.require("models/stories260K/stories260K.bin").toString();
        Process p = LowbitProcess.of("serve", "-m", model, "--port", "0", "--drain", "20", "-t", "1").redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            int port = -1;
            StringBuilder log = new StringBuilder();
            for (String line; (line = out.readLine()) != null; ) {
                log.append(line).append('\n');
                Matcher m = Pattern.compile("http://127\\.0\\.0\\.1:(\\d+)/").matcher(line);
                if (m.find()) port = Integer.parseInt(m.group(1));
                if (line.startsWith("ready in")) break;
            }
            assertTrue(port > 0, log.toString());
            HttpClient client = HttpClient.newHttpClient();
            String body = "{\"prompt\":\"Once upon a time\",\"max_tokens\":400,\"temperature\":0,\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
            CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            long deadline = System.nanoTime() + 30_000_000_000L; // until the sequence runs
            while (!health(client, port).contains("\"slots_processing\":1") && System.nanoTime() < deadline) Thread.sleep(2);
            p.toHandle().destroy(); // SIGTERM (Process.destroy would also close our end of its output)
            HttpResponse<String> r = inFlight.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            // Ended as the model ends it (its end-of-text token, or the limit), with usage and [DONE]: not cut short.
            assertTrue(r.body().matches("(?s).*\"finish_reason\":\"(stop|length)\".*\"usage\".*data: \\[DONE\\]\n\n"), r.body());
            assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the server exits after draining");
            String rest = String.join("\n", out.lines().toList());
            assertTrue(rest.contains("stopping"), rest);
        } finally {
            p.destroyForcibly();
        }
    }

    private static String health(HttpClient client, int port) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
