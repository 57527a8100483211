package dev.lowbit.engine.batch;

import dev.lowbit.engine.sampling.SamplerSettings;
import java.util.List;

/**
 * One generation for a {@link BatchGenerator}: prompt tokens (with BOS and template already applied), at most
 * {@code maxTokens} new tokens, sampled as {@code sampling} says, ending early at a stop token or stop string.
 */
public record SequenceRequest(int[] prompt, int maxTokens, SamplerSettings sampling, List<String> stops) {
    public SequenceRequest {
        if (prompt == null || prompt.length == 0) throw new IllegalArgumentException("empty prompt: at least one token is needed");
        if (maxTokens < 0) throw new IllegalArgumentException("max tokens must be >= 0, got " + maxTokens);
        if (sampling == null) throw new IllegalArgumentException("sampling settings missing");
        prompt = prompt.clone();
        stops = List.copyOf(stops);
    }
}
