package dev.lowbit.engine.batch;

/**
 * How a sequence of a {@link BatchGenerator} ended.
 *
 * @param promptTokens     tokens of the prompt
 * @param reusedTokens     of them, how many came from the slot's cache (an earlier request's prefix)
 * @param completionTokens tokens generated
 * @param queueNanos       waiting for a slot
 * @param prefillNanos     from taking a slot to the first generated token
 * @param decodeNanos      from the first generated token to the end
 * @param error            the failure when {@code reason} is ERROR, else null
 */
public record Completion(FinishReason reason, int promptTokens, int reusedTokens, int completionTokens,
                         long queueNanos, long prefillNanos, long decodeNanos, String error) {
    public Completion {
        if (reason == null) throw new IllegalArgumentException("a completion needs a reason");
        if (promptTokens < 0 || reusedTokens < 0 || completionTokens < 0) throw new IllegalArgumentException("negative token count");
    }

    /** Generated tokens per second after the first (each a decoding step). */
    public double decodeTokensPerSecond() {
        return decodeNanos == 0 || completionTokens < 2 ? 0 : (completionTokens - 1) * 1e9 / decodeNanos;
    }
}
