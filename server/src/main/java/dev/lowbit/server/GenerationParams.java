package dev.lowbit.server;

import dev.lowbit.engine.sampling.SamplerSettings;
import java.util.List;

/**
 * What both completion endpoints read besides the prompt. Without {@code seed} a request draws its own; the
 * defaults are llama-server's (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05).
 *
 * @param maxTokens    {@code max_completion_tokens} or {@code max_tokens}; without either, what the context leaves
 * @param includeUsage {@code stream_options.include_usage}: a last chunk with the token counts
 */
record GenerationParams(int maxTokens, SamplerSettings sampling, List<String> stops, boolean stream, boolean includeUsage) {

    static GenerationParams read(RequestFields f, int contextLength) {
        long max = f.integer("max_completion_tokens", 0, contextLength, f.integer("max_tokens", 0, contextLength, -1));
        SamplerSettings s = new SamplerSettings(f.number("temperature", 0, 2, 0.8f), (int) f.integer("top_k", 0, 1 << 20, 40),
                f.number("top_p", Float.MIN_VALUE, 1, 0.95f), f.number("min_p", 0, 0.999f, 0.05f),
                f.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE, System.nanoTime()));
        boolean stream = f.bool("stream", false);
        boolean usage = false;
        if (f.node("stream_options") != null) {
            if (!f.node("stream_options").isObject()) throw ApiException.badRequest("'stream_options' must be an object");
            usage = new RequestFields(f.node("stream_options")).bool("include_usage", false);
        }
        return new GenerationParams((int) max, s, f.stops("stop"), stream, usage);
    }

    /** The tokens to generate after a prompt of {@code promptTokens}: as asked, at most what the context leaves (maybe 0). */
    int budget(int promptTokens, int contextLength) {
        int room = Math.max(0, contextLength - promptTokens);
        return maxTokens < 0 ? room : Math.min(maxTokens, room);
    }
}
