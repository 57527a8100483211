package dev.lowbit.engine.batch;

/** Why a sequence ended, in OpenAI's words where it has them ({@link #wire()}). */
public enum FinishReason {
    /** A stop token or a stop string. */
    STOP("stop"),
    /** The token limit of the request. */
    LENGTH("length"),
    /** The context is full. */
    CONTEXT_FULL("length"),
    /** The client left or the request was cancelled. */
    CANCELLED("cancelled"),
    /** The engine failed; {@link Completion#error()} says how. */
    ERROR("error");

    private final String wire;

    FinishReason(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
