package dev.lowbit.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;

class WeightMemoryTest {
    /** Sizes below, at and above a 2 MiB page, and one not a multiple of it: each zeroed, aligned, exactly sized. */
    @Test
    void allocationsAreZeroedAlignedAndExactlySized() {
        for (long bytes : new long[] {1, 4096, 2L << 20, (5L << 20) + 12345}) {
            MemorySegment s = WeightMemory.allocate(bytes);
            assertEquals(bytes, s.byteSize());
            assertEquals(0, s.address() % 64, "alignment");
            long nonZero = 0;
            for (long i = 0; i < bytes; i += 997) nonZero += s.get(ValueLayout.JAVA_BYTE, i) != 0 ? 1 : 0;
            assertEquals(0, nonZero + s.get(ValueLayout.JAVA_BYTE, bytes - 1));
            s.set(ValueLayout.JAVA_BYTE, bytes - 1, (byte) 7); // writable to the last byte
            assertEquals(7, s.get(ValueLayout.JAVA_BYTE, bytes - 1));
        }
    }

    /** Large allocations that become garbage are unmapped: the process's virtual size falls back (Linux only). */
    @Test
    void unreachableAllocationsAreReleased() throws Exception {
        java.nio.file.Path status = java.nio.file.Path.of("/proc/self/status");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isReadable(status), "needs /proc");
        long before = virtualKib(status);
        for (int i = 0; i < 16; i++) {
            MemorySegment s = WeightMemory.allocate(256L << 20);
            s.set(ValueLayout.JAVA_BYTE, s.byteSize() - 1, (byte) 1);
        }
        long grown = virtualKib(status) - before;
        for (int i = 0; i < 100 && virtualKib(status) - before > (1L << 20); i++) {
            System.gc();
            Thread.sleep(20);
        }
        long after = virtualKib(status) - before;
        org.junit.jupiter.api.Assertions.assertTrue(after < (1L << 20), "virtual size still " + after + " KiB above the start (grew " + grown + ")");
    }

    private static long virtualKib(java.nio.file.Path status) throws java.io.IOException {
        for (String line : java.nio.file.Files.readAllLines(status)) {
            if (line.startsWith("VmSize:")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
        throw new IllegalStateException("no VmSize in " + status);
    }
}
