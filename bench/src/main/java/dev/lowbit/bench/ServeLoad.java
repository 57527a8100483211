package dev.lowbit.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Load on a running {@code lowbit serve}: for each client count c, c clients each send {@code rounds} completions
 * back to back (all with different seeds); then the same requests one at a time. Prints aggregate generated
 * tokens/s and per-request latency p50/p95 for both. Usage: {@code ServeLoad URL CLIENTS(1,2,4,8) ROUNDS MAX_TOKENS}.
 */
public final class ServeLoad {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private record Result(double seconds, int tokens) {}

    private record Run(List<Result> results, double wallSeconds) {}

    public static void main(String[] args) throws Exception {
        String url = args[0].replaceAll("/+$", "") + "/v1/completions";
        int[] clients = Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray();
        int rounds = Integer.parseInt(args[2]), maxTokens = Integer.parseInt(args[3]);
        send(url, body(0, maxTokens)); // warm-up: the JIT and the server's first request
        System.out.printf("%-8s %-12s %10s %10s %10s %10s%n", "clients", "mode", "requests", "tok/s", "p50 s", "p95 s");
        for (int c : clients) {
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < c * rounds; i++) bodies.add(body(i, maxTokens));
            report(c, "concurrent", run(url, bodies, c));
            report(c, "one-by-one", run(url, bodies, 1));
        }
    }

    private static String body(int i, int maxTokens) {
        return "{\"prompt\":\"Once upon a time there was a little robot number " + i + "\",\"max_tokens\":" + maxTokens
                + ",\"temperature\":0.8,\"seed\":" + (1000 + i) + ",\"stop\":[]}";
    }

    private static Result send(String url, String body) throws Exception {
        long t0 = System.nanoTime();
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException("HTTP " + r.statusCode() + ": " + r.body());
        JsonNode j = JSON.readTree(r.body());
        return new Result((System.nanoTime() - t0) / 1e9, j.path("usage").path("completion_tokens").asInt());
    }

    /** All bodies through {@code clients} workers, each taking the next body when done; per-request results and the wall time. */
    private static Run run(String url, List<String> bodies, int clients) throws Exception {
        long t0 = System.nanoTime();
        List<Result> results = new ArrayList<>();
        try (ExecutorService pool = Executors.newFixedThreadPool(clients)) {
            List<Future<Result>> fs = new ArrayList<>();
            for (String b : bodies) fs.add(pool.submit(() -> send(url, b)));
            for (Future<Result> f : fs) results.add(f.get());
        }
        return new Run(results, (System.nanoTime() - t0) / 1e9);
    }

    private static void report(int clients, String mode, Run run) {
        List<Result> rs = run.results();
        double wall = run.wallSeconds();
        int tokens = rs.stream().mapToInt(Result::tokens).sum();
        double[] lat = rs.stream().mapToDouble(Result::seconds).sorted().toArray();
        System.out.printf("%-8d %-12s %10d %10.2f %10.2f %10.2f%n", clients, mode, rs.size(), tokens / wall,
                lat[(int) Math.floor(0.5 * (lat.length - 1))], lat[(int) Math.ceil(0.95 * (lat.length - 1))]);
    }
}
