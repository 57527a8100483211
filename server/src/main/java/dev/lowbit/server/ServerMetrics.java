package dev.lowbit.server;

import dev.lowbit.engine.batch.Completion;
import dev.lowbit.engine.batch.FinishReason;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Counters since start, served at {@code /metrics} in Prometheus' text format (as llama-server's). */
final class ServerMetrics {
    private final AtomicLong promptTokens = new AtomicLong(), reusedTokens = new AtomicLong(), predictedTokens = new AtomicLong();
    private final Map<FinishReason, AtomicLong> ended = new EnumMap<>(FinishReason.class);

    ServerMetrics() {
        for (FinishReason r : FinishReason.values()) ended.put(r, new AtomicLong());
    }

    void count(Completion c) {
        promptTokens.addAndGet(c.promptTokens() - c.reusedTokens());
        reusedTokens.addAndGet(c.reusedTokens());
        predictedTokens.addAndGet(c.completionTokens());
        ended.get(c.reason()).incrementAndGet();
    }

    String render(int running, int queued) {
        StringBuilder sb = new StringBuilder();
        metric(sb, "counter", "prompt_tokens_total", "Prompt tokens processed (not counting those reused from a slot's cache).", promptTokens.get());
        metric(sb, "counter", "prompt_tokens_reused_total", "Prompt tokens taken from a slot's cache.", reusedTokens.get());
        metric(sb, "counter", "tokens_predicted_total", "Tokens generated.", predictedTokens.get());
        sb.append("# HELP lowbit_requests_total Sequences ended, by finish reason.\n# TYPE lowbit_requests_total counter\n");
        for (var e : ended.entrySet()) {
            sb.append("lowbit_requests_total{reason=\"").append(e.getKey().name().toLowerCase()).append("\"} ").append(e.getValue().get()).append('\n');
        }
        metric(sb, "gauge", "requests_processing", "Sequences in slots now.", running);
        metric(sb, "gauge", "requests_deferred", "Requests waiting for a slot.", queued);
        return sb.toString();
    }

    private static void metric(StringBuilder sb, String type, String name, String help, long value) {
        sb.append("# HELP lowbit_").append(name).append(' ').append(help).append("\n# TYPE lowbit_").append(name).append(' ').append(type)
                .append("\nlowbit_").append(name).append(' ').append(value).append('\n');
    }
}
