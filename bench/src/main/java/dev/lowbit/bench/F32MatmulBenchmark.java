package dev.lowbit.bench;

import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.WorkerPool;
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
 * fp32 weight × activation products at Llama shapes: decode (batch 1, GEMV) and prefill (batch 64, GEMM).
 * Run: {@code java --add-modules jdk.incubator.vector -jar bench/target/benchmarks.jar F32Matmul}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 5, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "@scripts/jvm.args") // the launcher's flags; run from the project root
public class F32MatmulBenchmark {
    /** rows x cols of the weight matrix. */
    @Param({"2048x2048", "8192x2048", "2048x8192"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    @Param({"1", "64"})
    public int batch;

    private F32Matrix matrix;
    private float[] x;
    private float[] y;
    private WorkerPool pool;

    @Setup(Level.Trial)
    public void setUp() {
        BenchShape s = BenchShape.parse(shape);
        matrix = F32Matrix.of(s.weights(), s.rows(), s.cols());
        x = s.input(batch);
        y = new float[batch * s.rows()];
        pool = new WorkerPool(threads);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        pool.close();
    }

    @Benchmark
    public float[] multiply() {
        matrix.multiply(x, y, batch, pool);
        return y;
    }
}
