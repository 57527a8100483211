package dev.lowbit.bench;

import dev.lowbit.kernels.WeightMemory;
import dev.lowbit.kernels.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The memory roofline measured rather than assumed: one pass of 64-byte vector loads over 1 GiB (far beyond the
 * caches), on 1 or 2 threads, in the memory the kernels' weights live in ({@link WeightMemory}) and in ordinary
 * 4 KiB-page memory. The loads
 * are summed so none is dead. GB/s = 2^30 bytes ÷ the time per operation. A GEMV that streams its weights at
 * this rate is memory-bound; below it, the kernel's instructions are what limit it.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED"})
public class StreamBenchmark {
    static final long BYTES = 1L << 30;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_PREFERRED;

    @Param({"1", "2"})
    public int threads;

    /** {@code huge}: {@link WeightMemory} (2 MiB pages where Linux allows); {@code small}: an ordinary allocation. */
    @Param({"huge", "small"})
    public String pages;

    private MemorySegment data;
    private WorkerPool pool;

    @Setup(Level.Trial)
    public void setUp() {
        data = pages.equals("huge") ? WeightMemory.allocate(BYTES) : java.lang.foreign.Arena.ofAuto().allocate(BYTES, 64);
        for (long i = 0; i < BYTES; i += 4096) data.set(ValueLayout.JAVA_BYTE, i, (byte) i);
        pool = new WorkerPool(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public long read() {
        long chunk = 1L << 20; // 1 MiB per task: large sequential runs, as a GEMV's tiles are
        AtomicLong total = new AtomicLong();
        pool.parallelFor((int) (BYTES / chunk), 1, (from, to) -> total.addAndGet(sum(from * chunk, to * chunk)));
        return total.get();
    }

    private long sum(long from, long to) {
        ByteVector acc = ByteVector.zero(B);
        for (long at = from; at < to; at += B.length()) acc = ByteVector.fromMemorySegment(B, data, at, ByteOrder.LITTLE_ENDIAN).add(acc);
        return acc.reduceLanesToLong(VectorOperators.ADD);
    }
}
