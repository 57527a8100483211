package dev.lowbit.server;

import dev.lowbit.engine.batch.BatchGenerator;
import dev.lowbit.engine.batch.Completion;
import dev.lowbit.engine.batch.SequenceRequest;
import dev.lowbit.engine.batch.SequenceSink;
import dev.lowbit.engine.batch.Ticket;
import java.util.concurrent.LinkedBlockingQueue;

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

    /** Submits the request; 503 when the queue is full or the server is stopping. */
    GenerationRun(BatchGenerator generator, SequenceRequest request, ServerMetrics metrics) {
        this.metrics = metrics;
        Ticket t;
        try {
            t = generator.submit(request, this);
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

    Event next() throws InterruptedException {
        return events.take();
    }

    /** The client left: the sequence ends at the next step. */
    void cancel() {
        gone = true;
        ticket.cancel();
    }
}
