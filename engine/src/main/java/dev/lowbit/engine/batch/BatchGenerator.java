package dev.lowbit.engine.batch;

import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.KvCache;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.TokenBatch;
import dev.lowbit.engine.sampling.Sampler;
import dev.lowbit.engine.tokenizer.TextStream;
import dev.lowbit.engine.tokenizer.Tokenizer;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Continuous batching: up to {@code parallel} sequences decode together, one token each per step, so every weight
 * matrix is read once per step for all of them; sequences join and leave between steps. Each sequence lives in a
 * slot with its own KV cache and sampler; a slot keeps the tokens it cached, and a new request takes the free slot
 * whose cache shares the longest prefix with its prompt (a conversation's earlier turns are not run again).
 *
 * <p>One thread runs the model. Per step it runs one prompt chunk of one new sequence (prompts run in chunks of
 * fixed positions, as {@code Generator} runs them, so a sequence's numbers do not depend on its neighbours) and
 * one decoding step of all sequences that have a token to feed. Requests beyond the slots wait in a bounded queue;
 * {@link #submit} refuses them when it is full.
 */
public final class BatchGenerator implements AutoCloseable {
    private final LlamaModel model;
    private final Tokenizer tokenizer;
    private final int contextLength;
    private final int prefillChunk;
    private final Slot[] slots;
    private final ArrayBlockingQueue<Ticket> queue;
    private final InferenceState decodeState, prefillState;
    private final TokenBatch decodeBatch, prefillBatch;
    private final Thread thread;
    private final AtomicInteger running = new AtomicInteger();
    private volatile boolean accepting = true;
    private volatile boolean aborting;
    private long admissions;

    public BatchGenerator(LlamaModel model, Tokenizer tokenizer, int parallel, int contextLength, int queueCapacity, int prefillChunk) {
        if (parallel < 1) throw new IllegalArgumentException("at least one slot is needed, got " + parallel);
        if (queueCapacity < 0) throw new IllegalArgumentException("negative queue capacity");
        if (prefillChunk < 1) throw new IllegalArgumentException("prompt chunks hold at least one token");
        this.model = model;
        this.tokenizer = tokenizer;
        this.contextLength = Math.min(contextLength, model.config().contextLength());
        this.prefillChunk = Math.min(prefillChunk, this.contextLength);
        this.slots = new Slot[parallel];
        for (int i = 0; i < parallel; i++) slots[i] = new Slot(new KvCache(model.config(), this.contextLength));
        this.queue = new ArrayBlockingQueue<>(Math.max(1, queueCapacity));
        this.decodeState = InferenceState.forBatches(model.config(), this.contextLength, parallel);
        this.prefillState = InferenceState.forBatches(model.config(), this.contextLength, this.prefillChunk);
        this.decodeBatch = new TokenBatch(parallel);
        this.prefillBatch = new TokenBatch(this.prefillChunk);
        this.thread = Thread.ofPlatform().name("lowbit-batch").daemon().start(this::run);
    }

    public int contextLength() {
        return contextLength;
    }

    public int parallel() {
        return slots.length;
    }

    /** Sequences in slots now (prefilling or decoding). */
    public int running() {
        return running.get();
    }

    /** Requests waiting for a slot. */
    public int queued() {
        return queue.size();
    }

    /**
     * Queues a sequence; null when the queue is full or the generator is shutting down. A prompt that leaves no
     * room in the context is refused with an {@link IllegalArgumentException}.
     */
    public Ticket submit(SequenceRequest request, SequenceSink sink) {
        if (request.prompt().length >= contextLength) {
            throw new IllegalArgumentException("the prompt has " + request.prompt().length + " tokens; the context holds " + contextLength);
        }
        for (int t : request.prompt()) {
            if (t < 0 || t >= model.config().vocabSize()) throw new IllegalArgumentException("token id " + t + " out of range");
        }
        Ticket ticket = new Ticket(request, sink);
        if (!accepting || !queue.offer(ticket)) return null;
        if (!accepting && queue.remove(ticket)) return null; // shutdown began meanwhile
        return ticket;
    }

    /** Stops taking requests, lets running and queued ones finish for up to {@code grace}, then cancels the rest. */
    public void shutdown(Duration grace) {
        accepting = false;
        try {
            thread.join(grace);
            aborting = true;
            thread.join();
        } catch (InterruptedException e) {
            aborting = true;
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    private void run() {
        while (true) {
            if (aborting) {
                for (Slot s : slots) if (s.ticket != null) s.finish(FinishReason.CANCELLED, null);
                for (Ticket t; (t = queue.poll()) != null; ) cancelUnstarted(t);
                return;
            }
            admit();
            boolean busy = false;
            for (Slot s : slots) {
                if (s.ticket == null) continue;
                busy = true;
                if (s.ticket.cancelled()) s.finish(FinishReason.CANCELLED, null);
            }
            if (!busy) {
                if (!accepting && queue.isEmpty()) return;
                try {
                    Ticket t = queue.poll(50, TimeUnit.MILLISECONDS);
                    if (t != null) place(t);
                } catch (InterruptedException e) {
                    return;
                }
                continue;
            }
            prefillStep();
            decodeStep();
        }
    }

    private void admit() {
        while (!queue.isEmpty()) {
            boolean free = false;
            for (Slot s : slots) free |= s.ticket == null;
            if (!free) return;
            Ticket t = queue.poll();
            if (t != null) place(t);
        }
    }

    /** Into the free slot whose cache shares the longest prefix with the prompt; among equals, the least recently used. */
    private void place(Ticket t) {
        if (t.cancelled()) {
            cancelUnstarted(t);
            return;
        }
        Slot best = null;
        int bestReuse = -1;
        for (Slot s : slots) {
            if (s.ticket != null) continue;
            int reuse = s.sharedPrefix(t.request.prompt());
            if (reuse > bestReuse || reuse == bestReuse && s.lastUsed < best.lastUsed) {
                best = s;
                bestReuse = reuse;
            }
        }
        best.start(t, bestReuse, ++admissions);
    }

    private static void cancelUnstarted(Ticket t) {
        finishSafely(t.sink, new Completion(FinishReason.CANCELLED, t.request.prompt().length, 0, 0,
                System.nanoTime() - t.submittedAt, 0, 0, null));
    }

    /** One chunk of the prompt of the sequence admitted first among those still prefilling. */
    private void prefillStep() {
        Slot p = null;
        for (Slot s : slots) if (s.ticket != null && s.prefilled < s.prompt().length && (p == null || s.admission < p.admission)) p = s;
        if (p == null) return;
        int[] prompt = p.prompt();
        int n = Math.min(prefillChunk, prompt.length - p.prefilled);
        boolean last = p.prefilled + n == prompt.length;
        prefillBatch.clear();
        for (int i = 0; i < n; i++) prefillBatch.add(p.cache, prompt[p.prefilled + i], p.prefilled + i, last && i == n - 1);
        try {
            model.forward(prefillState, prefillBatch);
        } catch (RuntimeException e) {
            p.fail(e);
            return;
        }
        System.arraycopy(prompt, p.prefilled, p.cached, p.prefilled, n);
        p.prefilled += n;
        p.cachedCount = p.prefilled;
        if (!last) return;
        p.position = prompt.length;
        if (p.ticket.request.maxTokens() == 0) p.finish(FinishReason.LENGTH, null);
        else p.sampled(prefillState.logits(), 0);
    }

    /** One token for every sequence that has one to feed. */
    private void decodeStep() {
        decodeBatch.clear();
        for (Slot s : slots) if (s.ticket != null && s.pending >= 0) s.logitRow = decodeBatch.add(s.cache, s.pending, s.position, true);
        if (decodeBatch.size() == 0) return;
        try {
            model.forward(decodeState, decodeBatch);
        } catch (RuntimeException e) {
            for (Slot s : slots) if (s.ticket != null && s.pending >= 0) s.fail(e);
            return;
        }
        int vocab = model.config().vocabSize();
        for (Slot s : slots) {
            if (s.ticket == null || s.pending < 0) continue;
            s.cached[s.position++] = s.pending;
            s.cachedCount = s.position;
            s.pending = -1;
            s.sampled(decodeState.logits(), s.logitRow * vocab);
        }
    }

    private static void finishSafely(SequenceSink sink, Completion c) {
        try {
            sink.finished(c);
        } catch (RuntimeException ignored) {
            // the sink's owner is gone; nothing else waits for this sequence
        }
    }

    /** A sequence's place: its KV cache (kept between requests, with the tokens it holds) and what runs in it now. */
    private final class Slot {
        final KvCache cache;
        final int[] cached;
        int cachedCount;
        long lastUsed, admission;

        Ticket ticket;
        Sampler sampler;
        TextStream text;
        StopStrings stops;
        int reused, prefilled, position, generated, logitRow;
        int pending = -1; // the last sampled token, to feed at the next step
        long startedAt, firstTokenAt;

        Slot(KvCache cache) {
            this.cache = cache;
            this.cached = new int[cache.contextLength()];
        }

        int[] prompt() {
            return ticket.request.prompt();
        }

        /** Cached tokens the prompt starts with; the last prompt token always runs again, for its logits. */
        int sharedPrefix(int[] prompt) {
            int n = 0;
            while (n < cachedCount && n < prompt.length - 1 && cached[n] == prompt[n]) n++;
            return n;
        }

        void start(Ticket t, int reuse, long order) {
            ticket = t;
            admission = order;
            reused = prefilled = reuse;
            cachedCount = reuse;
            generated = 0;
            pending = -1;
            sampler = new Sampler(t.request.sampling(), model.config().vocabSize());
            text = tokenizer.newStream();
            for (int tok : t.request.prompt()) text.push(tok); // so the first piece knows whether it starts the text
            stops = new StopStrings(t.request.stops());
            startedAt = System.nanoTime();
            firstTokenAt = 0;
            running.incrementAndGet();
        }

        /** Samples the next token from the logits row at {@code offset}, sends its text, and ends the sequence or queues the token. */
        void sampled(float[] logits, int offset) {
            int token = sampler.sample(logits, offset);
            if (firstTokenAt == 0) firstTokenAt = System.nanoTime();
            if (tokenizer.isStop(token)) {
                finish(FinishReason.STOP, null);
                return;
            }
            generated++;
            if (!send(stops.push(text.push(token)))) {
                finish(FinishReason.CANCELLED, null);
            } else if (stops.stopped()) {
                finish(FinishReason.STOP, null);
            } else if (generated == ticket.request.maxTokens()) {
                finish(FinishReason.LENGTH, null);
            } else if (position >= contextLength) {
                finish(FinishReason.CONTEXT_FULL, null);
            } else {
                pending = token;
            }
        }

        private boolean send(String piece) {
            if (piece.isEmpty()) return true;
            try {
                return ticket.sink.text(piece);
            } catch (RuntimeException e) {
                return false;
            }
        }

        void fail(RuntimeException e) {
            cachedCount = 0; // what the cache holds is unknown
            finish(FinishReason.ERROR, e.getMessage() == null ? e.toString() : e.getMessage());
        }

        void finish(FinishReason reason, String error) {
            if (reason == FinishReason.STOP || reason == FinishReason.LENGTH || reason == FinishReason.CONTEXT_FULL) {
                send(stops.push(text.flush()) + stops.flush());
            }
            long now = System.nanoTime();
            long first = firstTokenAt == 0 ? now : firstTokenAt;
            Completion c = new Completion(reason, prompt().length, reused, generated, startedAt - ticket.submittedAt,
                    first - startedAt, now - first, error);
            SequenceSink sink = ticket.sink;
            ticket = null;
            running.decrementAndGet();
            pending = -1;
            lastUsed = now;
            finishSafely(sink, c);
        }
    }
}
