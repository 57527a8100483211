package dev.lowbit.server;

import dev.lowbit.engine.batch.BatchGenerator;
import dev.lowbit.engine.batch.Completion;
import dev.lowbit.engine.batch.SequenceRequest;
import dev.lowbit.engine.batch.SequenceSink;
import dev.lowbit.engine.batch.Ticket;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Supplier;

/**
 * One request's sequence, handed from the generator's thread to the request's own: the generator only puts pieces
 * in a queue, so a slow client never holds back the others. The request's thread takes them and writes them out.
 */
final class GenerationRun implements SequenceSink {
    /** A piece of text, or the end (then {@code completion} is set). */
    record Event(String text, Completion completion) {}

    private final LinkedBlockingQueue<Event> events = new LinkedBlockingQueue<>();
    private volatile boolean gone;
    private final Ticket ticket;
    private final ServerMetrics metrics;

    /**
     * Makes and submits the request: 400 when the engine refuses it (an empty prompt, one the context cannot hold),
     * 503 when the queue is full or the server is stopping.
     */
    GenerationRun(BatchGenerator generator, Supplier<SequenceRequest> request, ServerMetrics metrics) {
        this.metrics = metrics;
        Ticket t;
        try {
            t = generator.submit(request.get(), this);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        if (t == null) throw new ApiException(503, "server_busy", "all " + generator.parallel() + " slots and the queue are busy; retry later");
        this.ticket = t;
    }

    @Override
    public boolean text(String piece) {
        events.add(new Event(piece, null));
        return !gone;
    }

    @Override
    public void finished(Completion completion) {
        metrics.count(completion);
        events.add(new Event(null, completion));
    }

    /** The next piece or the end; an interrupted wait (the server stopping) cancels the sequence. */
    Event next() throws InterruptedException {
        try {
            return events.take();
        } catch (InterruptedException e) {
            cancel();
            throw e;
        }
    }

    /** The client left: the sequence ends at the next step. */
    void cancel() {
        gone = true;
        ticket.cancel();
    }
}
