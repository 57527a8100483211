package dev.lowbit.engine.model;

import java.util.SplittableRandom;

/** Weights for tests of this package and of the file formats. */
public final class TestWeights {
    private TestWeights() {}

    /** The same weights with random per-head q and k norm weights (around 1) in every layer. */
    public static LlamaWeights withHeadNorms(LlamaWeights w, int headDim, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        java.util.List<LayerWeights> layers = new java.util.ArrayList<>();
        for (LayerWeights l : w.layers()) {
            float[] qn = around1(headDim, r), kn = around1(headDim, r);
            layers.add(new LayerWeights(l.attnNorm(), l.wq(), l.wk(), l.wv(), l.wo(), l.qBias(), l.kBias(), l.vBias(), qn, kn,
                    l.ffnNorm(), l.wGate(), l.wUp(), l.wDown()));
        }
        return new LlamaWeights(w.tokenEmbedding(), layers, w.finalNorm(), w.classifier());
    }

    /** The same weights with random post-attention and post-MLP norms (around 1) in every layer (Gemma's block). */
    public static LlamaWeights withPostNorms(LlamaWeights w, int dim, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        java.util.List<LayerWeights> layers = new java.util.ArrayList<>();
        for (LayerWeights l : w.layers()) {
            float[] pa = around1(dim, r), pf = around1(dim, r);
            layers.add(new LayerWeights(l.attnNorm(), l.wq(), l.wk(), l.wv(), l.wo(), l.qBias(), l.kBias(), l.vBias(), l.qNorm(), l.kNorm(), pa,
                    l.ffnNorm(), l.wGate(), l.wUp(), l.wDown(), pf));
        }
        return new LlamaWeights(w.tokenEmbedding(), layers, w.finalNorm(), w.classifier());
    }

    /** Norm weights uniform in [0.5, 1.5). */
    public static float[] around1(int n, SplittableRandom r) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (0.5 + r.nextDouble());
        return v;
    }
}
