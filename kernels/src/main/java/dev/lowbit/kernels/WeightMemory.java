package dev.lowbit.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Memory for weights built in memory rather than mapped from a file (packed at load, quantized at load,
 * synthetic models), on 2 MiB pages where Linux allows it.
 *
 * <p>Why: a decode step streams every weight once, and with 4 KiB pages that is a TLB miss and a prefetcher
 * restart every 4 KiB. A model file mapped by {@code FileChannel.map} already gets 2 MiB pages on a current kernel
 * with ext4 (FilePmdMapped in smaps); anonymous memory gets them only when asked ({@code transparent_hugepage} is
 * {@code madvise} on common distributions). Measured here (1 thread, alternated): the lookup loop alone streamed
 * 18.3 → 20.7 GB/s; JMH int4 8192x2048 635, 565 → 536, 542 µs and fp32 2594, 2595 → 2117, 2229 µs; a whole 1B
 * decode only +1% (25.06 → 25.24 tokens/s, mean of three). So large regions are mapped with {@code mmap} and
 * marked {@code MADV_HUGEPAGE} before first use; where that fails (another OS, no native access) they fall back to
 * an ordinary allocation.
 */
public final class WeightMemory {
    private static final long HUGE_PAGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x3, MAP_PRIVATE_ANONYMOUS = 0x22, MADV_HUGEPAGE = 14;
    private static final MethodHandle MMAP, MUNMAP, MADVISE;

    static {
        MethodHandle mmap = null, munmap = null, madvise = null;
        try {
            if (System.getProperty("os.name", "").startsWith("Linux")) {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                mmap = linker.downcallHandle(libc.find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                munmap = linker.downcallHandle(libc.find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(libc.find("madvise").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            }
        } catch (RuntimeException | LinkageError e) {
            mmap = null; // no native access here: ordinary allocations
        }
        MMAP = mmap;
        MUNMAP = munmap;
        MADVISE = madvise;
    }

    /**
     * The whole address space as one segment: the table-lookup and row-stream kernels read native weights through
     * it at {@code weights.address() + offset}, offsets checked against the weights' own segment. C2 knows the exact class
     * of this constant, so a vector load from it compiles to a plain load; a load from a segment passed in calls the
     * segment's accessors wherever the JVM-wide type profile of those accessors has not settled, and a call in a
     * kernel's loop spills its vector registers (bf16 decode 1.6 instead of 7–10 tokens/s in about half the runs,
     * docs/KERNELS.md).
     */
    static final MemorySegment EVERYWHERE = MemorySegment.NULL.reinterpret(Long.MAX_VALUE);

    private WeightMemory() {}

    /**
     * {@code seg} when it is native memory at an even address, else a native copy: kernels reading through
     * {@link #EVERYWHERE} need native memory, and those reading f16 scales by index an even address.
     */
    static MemorySegment nativeOf(MemorySegment seg) {
        if (seg.isNative() && seg.address() % 2 == 0) return seg;
        MemorySegment copy = allocate(seg.byteSize());
        copy.copyFrom(seg);
        return copy;
    }

    /** Before a kernel reads {@code seg} through {@link #EVERYWHERE}: its memory must still be there. */
    static void checkAlive(MemorySegment seg) {
        if (!seg.scope().isAlive()) throw new IllegalStateException("weights read after their memory was released");
    }

    /** {@code bytes} zeroed bytes, 64-byte aligned, freed when unreachable. */
    public static MemorySegment allocate(long bytes) {
        if (MMAP == null || bytes < HUGE_PAGE) return Arena.ofAuto().allocate(bytes, 64);
        long length = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        MemorySegment at;
        try {
            at = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
        } catch (Throwable e) {
            return Arena.ofAuto().allocate(bytes, 64);
        }
        if (at.address() == -1L) return Arena.ofAuto().allocate(bytes, 64); // MAP_FAILED: let the ordinary allocator report
        // Unmapped once the segment (and so its arena) is unreachable; registered before anything else can fail.
        MemorySegment mapped = at.reinterpret(length, Arena.ofAuto(), WeightMemory::unmap);
        try {
            int ignored = (int) MADVISE.invokeExact(mapped, length, MADV_HUGEPAGE); // a hint: 4 KiB pages still work
        } catch (Throwable e) {
            // keep the 4 KiB pages
        }
        return mapped.asSlice(0, bytes);
    }

    private static void unmap(MemorySegment at) {
        try {
            int ignored = (int) MUNMAP.invokeExact(at, at.byteSize());
        } catch (Throwable e) {
            throw new IllegalStateException("munmap failed", e);
        }
    }
}
