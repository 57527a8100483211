package dev.lowbit.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The table-lookup primitive on its own, one thread, data in L1/L2: byte lookups per second for each way the
 * Vector API offers, so the kernel's choice (512-bit {@code selectFrom}, one {@code vpermb}) is measured against
 * the 256- and 128-bit species (what a CPU without AVX-512 VBMI has: {@code pshufb} on 128 bits), the two-table
 * form and {@code rearrange}. Every lookup is summed into the result so none is dead code. One operation is
 * {@link #BYTES} lookups: ns/op ÷ BYTES is the time per lookup.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class LookupBenchmark {
    static final int BYTES = 1 << 15;
    static final VectorSpecies<Byte> B512 = ByteVector.SPECIES_512, B256 = ByteVector.SPECIES_256, B128 = ByteVector.SPECIES_128;

    /** select512, select256, select128: one table per register; select512x2: two tables (128 entries); rearrange512. */
    @Param({"select512", "select256", "select128", "select512x2", "rearrange512"})
    public String kind;

    private final byte[] indices = new byte[BYTES];
    private final byte[] tables = new byte[128];

    @Setup
    public void setUp() {
        SplittableRandom r = new SplittableRandom(3);
        for (int i = 0; i < BYTES; i++) indices[i] = (byte) r.nextInt(256);
        for (int i = 0; i < tables.length; i++) tables[i] = (byte) r.nextInt(256);
    }

    @Benchmark
    public long lookups() {
        return switch (kind) {
            case "select512" -> select512();
            case "select256" -> select256();
            case "select128" -> select128();
            case "select512x2" -> selectTwo512();
            case "rearrange512" -> rearrange512();
            default -> throw new IllegalArgumentException(kind);
        };
    }

    // One method per species: C2 intrinsifies the Vector API only where the species is a compile-time constant.

    private long select512() {
        ByteVector table = ByteVector.fromArray(B512, tables, 0), acc = ByteVector.zero(B512);
        for (int i = 0; i < BYTES; i += 64) acc = ByteVector.fromArray(B512, indices, i).selectFrom(table).add(acc);
        return acc.reduceLanesToLong(VectorOperators.ADD);
    }

    private long select256() {
        ByteVector table = ByteVector.fromArray(B256, tables, 0), acc = ByteVector.zero(B256);
        for (int i = 0; i < BYTES; i += 32) acc = ByteVector.fromArray(B256, indices, i).selectFrom(table).add(acc);
        return acc.reduceLanesToLong(VectorOperators.ADD);
    }

    private long select128() {
        ByteVector table = ByteVector.fromArray(B128, tables, 0), acc = ByteVector.zero(B128);
        for (int i = 0; i < BYTES; i += 16) acc = ByteVector.fromArray(B128, indices, i).selectFrom(table).add(acc);
        return acc.reduceLanesToLong(VectorOperators.ADD);
    }

    private long selectTwo512() {
        ByteVector t0 = ByteVector.fromArray(B512, tables, 0), t1 = ByteVector.fromArray(B512, tables, 64), acc = ByteVector.zero(B512);
        for (int i = 0; i < BYTES; i += 64) acc = ByteVector.fromArray(B512, indices, i).selectFrom(t0, t1).add(acc);
        return acc.reduceLanesToLong(VectorOperators.ADD);
    }

    private long rearrange512() {
        ByteVector table = ByteVector.fromArray(B512, tables, 0), acc = ByteVector.zero(B512);
        for (int i = 0; i < BYTES; i += 64) {
            acc = table.rearrange(ByteVector.fromArray(B512, indices, i).and((byte) 63).toShuffle()).add(acc);
        }
        return acc.reduceLanesToLong(VectorOperators.ADD);
    }
}
