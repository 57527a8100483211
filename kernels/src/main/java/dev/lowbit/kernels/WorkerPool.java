package dev.lowbit.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of worker threads for data-parallel loops over a range.
 *
 * <p>{@link #parallelFor} splits the range statically into one contiguous part per thread; the calling thread
 * runs part 0. {@link #parallelChunks} hands out chunks to whichever thread is free, for loops whose parts take
 * unequal time on equal work (memory-bound GEMVs on a shared host). Decode calls these a few hundred times per
 * token, so dispatch must cost microseconds: workers spin briefly for the next job before parking, and a
 * dispatch allocates nothing.
 */
public final class WorkerPool implements AutoCloseable {

    /** Body of a parallel loop: handles indices {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    private static final long SPIN_NANOS = 200_000;

    /** Runs every loop on the caller: no threads. */
    public static final WorkerPool SERIAL = new WorkerPool(1);

    private final int threads;
    private final Thread[] workers;
    private final AtomicInteger pending = new AtomicInteger();
    private volatile long generation;
    private volatile boolean closed;
    private volatile Throwable failure;
    // Job fields: written before generation is bumped (volatile write), read after it is seen.
    private RangeTask task;
    private int size;
    private int chunk; // 0: static parts; else the size of the chunks claimed from next
    private final AtomicInteger next = new AtomicInteger();

    public WorkerPool(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        this.workers = new Thread[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            int part = i + 1;
            workers[i] = Thread.ofPlatform().daemon().name("lowbit-worker-" + part).unstarted(() -> workLoop(part));
            workers[i].start();
        }
    }

    /** The number of cores the JVM sees: the default thread count. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over {@code [0, size)}. Ranges smaller than {@code minPerThread} per thread run on
     * the caller alone, because waking workers costs more than the work.
     */
    public void parallelFor(int size, int minPerThread, RangeTask task) {
        if (size <= 0) return;
        if (threads == 1 || size < 2L * minPerThread) {
            task.run(0, size);
            return;
        }
        run(task, size, 0);
    }

    /**
     * Runs {@code task} over {@code [0, size)} in chunks of {@code chunk} indices (the last may be shorter), each
     * taken by the next thread that is free, so that a thread slowed by the host does not hold the others up.
     * A task may run many times on one thread: it should not allocate per call.
     */
    public void parallelChunks(int size, int chunk, RangeTask task) {
        if (chunk < 1) throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
        if (size <= 0) return;
        if (threads == 1 || size <= chunk) {
            task.run(0, size);
            return;
        }
        // The counter runs past size by up to a chunk per thread; where that could overflow, static parts.
        run(task, size, (long) size + (long) chunk * threads > Integer.MAX_VALUE ? 0 : chunk);
    }

    private void run(RangeTask task, int size, int chunk) {
        synchronized (this) {
            if (closed) throw new IllegalStateException("worker pool is closed");
            this.task = task;
            this.size = size;
            this.chunk = chunk;
            this.failure = null;
            next.set(0);
            pending.set(workers.length);
            generation = generation + 1;
            for (Thread w : workers) LockSupport.unpark(w);
            try {
                runPart(0);
            } catch (Throwable t) {
                failure = t; // thrown below, once no worker still runs this job
            }
            while (pending.get() != 0) Thread.onSpinWait();
            this.task = null;
            Throwable t = failure;
            if (t != null) {
                if (t instanceof RuntimeException re) throw re;
                if (t instanceof Error e) throw e;
                throw new IllegalStateException(t);
            }
        }
    }

    private void runPart(int part) {
        if (chunk > 0) {
            for (int from; (from = next.getAndAdd(chunk)) < size; ) task.run(from, Math.min(size, from + chunk));
            return;
        }
        long from = (long) size * part / threads;
        long to = (long) size * (part + 1) / threads;
        if (from < to) task.run((int) from, (int) to);
    }

    private void workLoop(int part) {
        long seen = 0;
        while (true) {
            long spinStart = System.nanoTime();
            long g;
            while ((g = generation) == seen && !closed) {
                if (System.nanoTime() - spinStart < SPIN_NANOS) Thread.onSpinWait();
                else LockSupport.park(this);
            }
            if (closed) return;
            seen = g;
            try {
                runPart(part);
            } catch (Throwable t) {
                failure = t;
            } finally {
                pending.decrementAndGet();
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Thread w : workers) LockSupport.unpark(w);
    }
}
