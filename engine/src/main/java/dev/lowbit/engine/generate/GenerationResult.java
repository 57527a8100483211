package dev.lowbit.engine.generate;

/** What a generation produced and how long each phase took. */
public record GenerationResult(int[] promptTokens, int[] generatedTokens, long prefillNanos, long decodeNanos,
                               StopReason stopReason) {

    public enum StopReason { LENGTH, STOP_TOKEN, CONTEXT_FULL }

    /** Prompt tokens per second (the whole prompt in batched prefill). */
    public double promptTokensPerSecond() {
        return prefillNanos == 0 ? 0 : promptTokens.length * 1e9 / prefillNanos;
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
