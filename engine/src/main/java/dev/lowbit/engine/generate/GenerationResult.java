package dev.lowbit.engine.generate;

/**
 * What a generation produced and how long each phase took. {@code prefilledTokens} is how many prompt tokens ran
 * (the rest came from the cache of an earlier call).
 */
public record GenerationResult(int[] promptTokens, int[] generatedTokens, long prefillNanos, long decodeNanos,
                               StopReason stopReason, int prefilledTokens) {

    public enum StopReason { LENGTH, STOP_TOKEN, CONTEXT_FULL }

    /** Prompt tokens per second (the tokens prefilled, in batches). */
    public double promptTokensPerSecond() {
        return prefillNanos == 0 ? 0 : prefilledTokens * 1e9 / prefillNanos;
    }

    /**
     * Generation tokens per second: decode steps (one forward per token after the first, which comes
     * from the prefill logits) over their time.
     */
    public double decodeTokensPerSecond() {
        int steps = Math.max(0, generatedTokens.length - 1);
        return decodeNanos == 0 ? 0 : steps * 1e9 / decodeNanos;
    }
}
