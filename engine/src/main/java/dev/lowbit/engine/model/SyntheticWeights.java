package dev.lowbit.engine.model;

import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.kernels.WeightMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random fp32 weights with a config's shapes, for speed measurements and tests where no real model of that
 * shape exists. Weights are uniform with standard deviation 1/√cols, so activations keep a sane scale through
 * the layers. Every row has its own seed, so the weights do not depend on the thread count.
 */
public final class SyntheticWeights {
    private static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private SyntheticWeights() {}

    /** Named shapes: {@code llama-1b} is dim 2048, FFN 8192, 16 layers, 32 heads, 8 KV heads, vocab 32000. */
    public static LlamaConfig preset(String name) {
        return switch (name) {
            case "llama-1b" -> new LlamaConfig(2048, 8192, 16, 32, 8, 64, 32000, 2048, 1e-5f, 10000f, RopeStyle.ADJACENT_PAIRS);
            case "tiny" -> new LlamaConfig(64, 172, 5, 8, 4, 8, 32000, 512, 1e-5f, 10000f, RopeStyle.ADJACENT_PAIRS);
            default -> throw new IllegalArgumentException("unknown synthetic model '" + name + "' (known: llama-1b, tiny)");
        };
    }

    public static LlamaWeights random(LlamaConfig c, long seed, boolean qkvBias, boolean tiedClassifier) {
        try (WorkerPool pool = new WorkerPool(WorkerPool.defaultThreads())) {
            return random(c, seed, qkvBias, tiedClassifier, pool);
        }
    }

    public static LlamaWeights random(LlamaConfig c, long seed, boolean qkvBias, boolean tiedClassifier, WorkerPool pool) {
        Filler f = new Filler(seed, pool);
        WeightMatrix embedding = f.matrix(c.vocabSize(), c.dim(), 1.0);
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            layers.add(new LayerWeights(
                    f.norm(c.dim()),
                    f.matrix(c.qDim(), c.dim()), f.matrix(c.kvDim(), c.dim()), f.matrix(c.kvDim(), c.dim()),
                    f.matrix(c.dim(), c.qDim()),
                    qkvBias ? f.vector(c.qDim(), 0.1) : null,
                    qkvBias ? f.vector(c.kvDim(), 0.1) : null,
                    qkvBias ? f.vector(c.kvDim(), 0.1) : null,
                    null, null,
                    f.norm(c.dim()),
                    f.matrix(c.hiddenDim(), c.dim()), f.matrix(c.hiddenDim(), c.dim()), f.matrix(c.dim(), c.hiddenDim())));
        }
        WeightMatrix classifier = tiedClassifier ? embedding : f.matrix(c.vocabSize(), c.dim());
        return new LlamaWeights(embedding, layers, f.norm(c.dim()), classifier);
    }

    /** Hands out tensors in a fixed order; tensor k, row r draws from its own stream. */
    private static final class Filler {
        private final long seed;
        private final WorkerPool pool;
        private long tensor;

        Filler(long seed, WorkerPool pool) {
            this.seed = seed;
            this.pool = pool;
        }

        private SplittableRandom stream(long t, long row) {
            return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + t * 0xBF58476D1CE4E5B9L + row);
        }

        WeightMatrix matrix(int rows, int cols) {
            return matrix(rows, cols, 1.0 / Math.sqrt(cols));
        }

        WeightMatrix matrix(int rows, int cols, double std) {
            long t = tensor++;
            MemorySegment seg = WeightMemory.allocate(4L * rows * cols);
            double half = Math.sqrt(3) * std; // uniform on [−half, half] has standard deviation std
            pool.parallelFor(rows, 1, (from, to) -> {
                for (int r = from; r < to; r++) {
                    SplittableRandom rnd = stream(t, r);
                    long base = 4L * r * cols;
                    for (int c = 0; c < cols; c++) seg.set(LE_FLOAT, base + 4L * c, (float) ((2 * rnd.nextDouble() - 1) * half));
                }
            });
            return new F32Matrix(seg, rows, cols);
        }

        float[] norm(int n) {
            float[] v = vector(n, 0.1);
            for (int i = 0; i < n; i++) v[i] += 1;
            return v;
        }

        float[] vector(int n, double std) {
            SplittableRandom rnd = stream(tensor++, 0);
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) ((2 * rnd.nextDouble() - 1) * Math.sqrt(3) * std);
            return v;
        }
    }

}
