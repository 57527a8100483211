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
