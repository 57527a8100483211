package dev.lowbit.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A fixed pool of worker threads for data-parallel loops over a range.
 *
 * <p>The range is split statically into one contiguous part per thread; the calling thread runs part 0.
 * Decode calls this a few hundred times per token, so dispatch must cost microseconds: workers spin
 * briefly for the next job before parking, and a dispatch allocates nothing.
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
        synchronized (this) {
            if (closed) throw new IllegalStateException("worker pool is closed");
            this.task = task;
            this.size = size;
            this.failure = null;
            pending.set(workers.length);
            generation = generation + 1;
            for (Thread w : workers) LockSupport.unpark(w);
            runPart(0);
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
