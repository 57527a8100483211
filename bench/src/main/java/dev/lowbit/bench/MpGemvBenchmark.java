package dev.lowbit.bench;

import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.Int8Matrix;
import dev.lowbit.kernels.LutKernels;
import dev.lowbit.kernels.LutMatrix;
import dev.lowbit.kernels.LutPacker;
import dev.lowbit.kernels.MatrixGroup;
import dev.lowbit.kernels.PreparedInputs;
import dev.lowbit.kernels.SplitLutMatrix;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.CodebookMatrix;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.grid.Grids;
import java.util.concurrent.TimeUnit;
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
 * Mixed-precision GEMV (one token) at Llama shapes: lowbit's table-lookup kernel for 1, 2, 3, 4-bit integers and
 * E2M1 against fp32 and two Q4_0 baselines (see {@link Q4Baselines}). Copies of each matrix are cycled so that
 * weights stream from memory as in a real decode step instead of sitting in the last-level cache: eight by default
 * (more than a 32 MB cache holds); a host with a bigger cache needs {@code -p copies=128} (docs/KERNELS.md).
 * Run from the project root: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar MpGemv}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = "@scripts/jvm.args") // the launcher's flags; run from the project root
public class MpGemvBenchmark {
    /** Copies of each matrix cycled; together they must exceed the last-level cache (f32, 7x larger: an eighth, at least 2). */
    @Param({"8"})
    public int copies;

    /** rows x cols. */
    @Param({"2048x2048", "8192x2048", "2048x8192", "4096x4096", "11008x4096"})
    public String shape;

    /**
     * lut-int1/2/3/4, lut-e2m1 (g32, 4.5 b/w like Q4_0 for int4/e2m1; int3 runs as a 2-bit and a 1-bit pass), f32,
     * q4-dequant, q4-int8; the classifier's formats: int6 g32 (the default, a 4-bit and a 2-bit pass), int8 g32 on
     * the int8 kernel ({@code int8}; {@code int8-g16} with groups of 16, as GGUF's Q6_K) and as two 4-bit table-lookup passes ({@code lut-int8}).
     */
    @Param({"lut-int4", "lut-int3", "lut-int2", "lut-int1", "lut-e2m1", "f32", "q4-dequant", "q4-int8", "lut-int6", "int8", "int8-g16", "lut-int8"})
    public String kernel;

    @Param({"1", "2"})
    public int threads;

    /** The table-lookup kernel of the lut-* matrices: chosen (what this machine runs), avx512, avx2, 128 or scalar. */
    @Param({"chosen"})
    public String lut;

    private MatrixGroup[] matrices;
    private final PreparedInputs inputs = new PreparedInputs();
    private Q4Baselines[] q4;
    private float[] x, y, sx;
    private float[][] ys;
    private byte[] xq;
    private WorkerPool pool;
    private int next;

    @Setup(Level.Trial)
    public void setUp() {
        BenchShape s = BenchShape.parse(shape);
        int rows = s.rows(), cols = s.cols();
        float[] w = s.weights();
        x = s.input(1);
        y = new float[rows];
        ys = new float[][] {y};
        sx = new float[cols / Q4Baselines.BLOCK];
        xq = new byte[cols];
        pool = new WorkerPool(threads);
        F32Matrix f32 = F32Matrix.of(w, rows, cols);
        if (kernel.startsWith("q4")) {
            q4 = new Q4Baselines[copies];
            for (int c = 0; c < copies; c++) q4[c] = new Q4Baselines(w, rows, cols);
            return;
        }
        matrices = new MatrixGroup[kernel.equals("f32") ? Math.max(2, copies / 8) : copies];
        for (int c = 0; c < matrices.length; c++) {
            WeightMatrix m = switch (kernel) {
                case "f32" -> c == 0 ? f32 : F32Matrix.of(w, rows, cols);
                case "lut-int4" -> lut(f32, "int", 4, true, 32);
                case "lut-int2" -> lut(f32, "int", 2, false, 64);
                case "lut-int1" -> lut(f32, "int", 1, false, 64);
                case "lut-e2m1" -> lut(f32, "e2m1", 4, false, 32);
                case "lut-int3" -> SplitLutMatrix.over(codebook(f32, "int", 3, false, 64));
                case "lut-int6" -> SplitLutMatrix.over(codebook(f32, "int", 6, true, 32));
                case "int8" -> Int8Matrix.over(codebook(f32, "int", 8, true, 32));
                case "int8-g16" -> Int8Matrix.over(codebook(f32, "int", 8, true, 16));
                case "lut-int8" -> SplitLutMatrix.over(codebook(f32, "int", 8, true, 32));
                default -> throw new IllegalArgumentException(kernel);
            };
            m.multiply(x, y, 1, pool); // split matrices build their passes on first use
            matrices[c] = new MatrixGroup(m);
        }
    }

    private WeightMatrix lut(F32Matrix f32, String grid, int bits, boolean sym, int group) {
        LutMatrix m = LutPacker.pack(codebook(f32, grid, bits, sym, group));
        return lut.equals("chosen") ? m : m.on(LutKernels.named(lut));
    }

    private CodebookMatrix codebook(F32Matrix f32, String grid, int bits, boolean sym, int group) {
        return (CodebookMatrix) new RtnQuantizer(Grids.of(grid, bits, sym), group, false).quantize(f32, pool).matrix();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float[] gemv() {
        int c = next;
        next = (next + 1) % copies;
        switch (kernel) {
            case "q4-dequant" -> q4[c].dequantizeGemv(x, y, pool);
            case "q4-int8" -> q4[c].int8Gemv(x, xq, sx, y, pool);
            default -> matrices[c % matrices.length].multiply(inputs, x, ys, 1, pool); // tables built in each call, as in decode
        }
        return y;
    }
}
