package dev.lowbit.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class WorkerPoolTest {
    @Test
    void everyIndexIsVisitedExactlyOnce() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int size = 0; size < 300; size += 7) {
                AtomicIntegerArray seen = new AtomicIntegerArray(size);
                pool.parallelFor(size, 1, (from, to) -> {
                    for (int i = from; i < to; i++) seen.incrementAndGet(i);
                });
                for (int i = 0; i < size; i++) assertEquals(1, seen.get(i), "size " + size + " index " + i);
            }
        }
    }

    @Test
    void chunksCoverTheRangeOnceInWholeChunks() {
        try (WorkerPool pool = new WorkerPool(3)) {
            for (int size = 0; size < 200; size += 13) {
                for (int chunk : new int[] {1, 4, 64, 500}) {
                    AtomicIntegerArray seen = new AtomicIntegerArray(size);
                    int n = size, c = chunk;
                    pool.parallelChunks(size, chunk, (from, to) -> {
                        // Every call is one chunk: from a multiple of the chunk size to the next one (or the end).
                        if (n > c && (from % c != 0 || to != Math.min(n, from + c))) throw new AssertionError(from + ".." + to);
                        for (int i = from; i < to; i++) seen.incrementAndGet(i);
                    });
                    for (int i = 0; i < size; i++) assertEquals(1, seen.get(i), "size " + size + " chunk " + chunk + " index " + i);
                }
            }
            assertThrows(IllegalArgumentException.class, () -> pool.parallelChunks(10, 0, (from, to) -> {}));
        }
    }

    @Test
    void workerFailureReachesTheCallerAndThePoolKeepsWorking() {
        try (WorkerPool pool = new WorkerPool(2)) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> pool.parallelFor(100, 1, (from, to) -> {
                if (from > 0) throw new IllegalStateException("boom in worker");
            }));
            assertEquals("boom in worker", e.getMessage());
            AtomicIntegerArray seen = new AtomicIntegerArray(10);
            pool.parallelFor(10, 1, (from, to) -> {
                for (int i = from; i < to; i++) seen.incrementAndGet(i);
            });
            for (int i = 0; i < 10; i++) assertEquals(1, seen.get(i));
        }
    }

    @Test
    void callerFailureWaitsForTheWorkersBeforeItIsThrown() {
        try (WorkerPool pool = new WorkerPool(2)) {
            java.util.concurrent.atomic.AtomicBoolean workerDone = new java.util.concurrent.atomic.AtomicBoolean();
            Thread caller = Thread.currentThread();
            assertThrows(IllegalStateException.class, () -> pool.parallelFor(2, 1, (from, to) -> {
                if (Thread.currentThread() == caller) throw new IllegalStateException("boom in caller");
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
                workerDone.set(true);
            }));
            org.junit.jupiter.api.Assertions.assertTrue(workerDone.get(), "the call returned while a worker still ran its part");
        }
    }

    @Test
    void smallRangesRunOnTheCallerOnly() {
        try (WorkerPool pool = new WorkerPool(4)) {
            Thread caller = Thread.currentThread();
            pool.parallelFor(10, 8, (from, to) -> {
                assertEquals(caller, Thread.currentThread());
                assertEquals(0, from);
                assertEquals(10, to);
            });
        }
    }
}
