package dev.lowbit.engine.batch;

/** A submitted sequence: lets its owner cancel it (a client that left, a shutdown). */
public final class Ticket {
    final SequenceRequest request;
    final SequenceSink sink;
    final long submittedAt = System.nanoTime();
    private volatile boolean cancelled;

    Ticket(SequenceRequest request, SequenceSink sink) {
        this.request = request;
        this.sink = sink;
    }

    /** Ends the sequence at the next step (its sink then gets {@link FinishReason#CANCELLED}). */
    public void cancel() {
        cancelled = true;
    }

    public boolean cancelled() {
        return cancelled;
    }
}
