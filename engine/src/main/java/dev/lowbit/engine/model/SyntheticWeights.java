package dev.lowbit.engine.model;

import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.WeightMatrix;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Random fp32 weights with a given config's shapes, for speed measurements and tests where no real model
 * of that shape exists. Weights are N(0, 1/cols) so activations keep a sane scale through the layers.
 */
public final class SyntheticWeights {
    private SyntheticWeights() {}

    public static LlamaWeights random(LlamaConfig c, long seed, boolean qkvBias, boolean tiedClassifier) {
        SplittableRandom r = new SplittableRandom(seed);
        WeightMatrix embedding = matrix(r, c.vocabSize(), c.dim(), 1.0);
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < c.nLayers(); l++) {
            layers.add(new LayerWeights(
                    norm(r, c.dim()),
                    matrix(r, c.qDim(), c.dim()), matrix(r, c.kvDim(), c.dim()), matrix(r, c.kvDim(), c.dim()),
                    matrix(r, c.dim(), c.qDim()),
                    qkvBias ? vector(r, c.qDim(), 0.1) : null,
                    qkvBias ? vector(r, c.kvDim(), 0.1) : null,
                    qkvBias ? vector(r, c.kvDim(), 0.1) : null,
                    norm(r, c.dim()),
                    matrix(r, c.hiddenDim(), c.dim()), matrix(r, c.hiddenDim(), c.dim()), matrix(r, c.dim(), c.hiddenDim())));
        }
        WeightMatrix classifier = tiedClassifier ? embedding : matrix(r, c.vocabSize(), c.dim());
        return new LlamaWeights(embedding, layers, norm(r, c.dim()), classifier);
    }

    private static WeightMatrix matrix(SplittableRandom r, int rows, int cols) {
        return matrix(r, rows, cols, 1.0 / Math.sqrt(cols));
    }

    private static WeightMatrix matrix(SplittableRandom r, int rows, int cols, double std) {
        float[] w = vector(r, Math.multiplyExact(rows, cols), std);
        return F32Matrix.of(w, rows, cols);
    }

    private static float[] norm(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (1 + 0.1 * gaussian(r));
        return v;
    }

    private static float[] vector(SplittableRandom r, int n, double std) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (std * gaussian(r));
        return v;
    }

    /** Box–Muller: SplittableRandom has no nextGaussian that is stable across JDK versions. */
    private static double gaussian(SplittableRandom r) {
        double u = 1 - r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
