package dev.lowbit.engine.train;

import dev.lowbit.engine.model.LayerWeights;
import dev.lowbit.kernels.F32Matrix;

/**
 * One decoder block's parameters as plain arrays, for the backward pass ({@link LayerWeights} in fp32). Biases and
 * the per-head q/k norms are null where the architecture has none.
 */
public record DenseBlock(float[] attnNorm, Dense wq, Dense wk, Dense wv, Dense wo, float[] qBias, float[] kBias, float[] vBias,
                         float[] qNorm, float[] kNorm, float[] ffnNorm, Dense gate, Dense up, Dense down) {

    /** A copy of a block's values. */
    public static DenseBlock of(LayerWeights w) {
        if (!w.llamaBlock()) throw new IllegalArgumentException("the backward pass covers the Llama/Qwen block only, not post-norms (Gemma)");
        return new DenseBlock(w.attnNorm(), Dense.of(w.wq()), Dense.of(w.wk()), Dense.of(w.wv()), Dense.of(w.wo()), w.qBias(), w.kBias(),
                w.vBias(), w.qNorm(), w.kNorm(), w.ffnNorm(), Dense.of(w.wGate()), Dense.of(w.wUp()), Dense.of(w.wDown()));
    }

    /** The seven linear layers, in the order q, k, v, o, gate, up, down. */
    public Dense[] linears() {
        return new Dense[] {wq, wk, wv, wo, gate, up, down};
    }

    /** The same block with other linear layers (q, k, v, o, gate, up, down) and the same norms and biases. */
    public DenseBlock withLinears(Dense[] l) {
        return new DenseBlock(attnNorm, l[0], l[1], l[2], l[3], qBias, kBias, vBias, qNorm, kNorm, ffnNorm, l[4], l[5], l[6]);
    }

    /** The block as the inference engine takes it (fp32 matrices over copies of these values). */
    public LayerWeights toLayerWeights() {
        Dense[] l = linears();
        F32Matrix[] m = new F32Matrix[l.length];
        for (int i = 0; i < l.length; i++) m[i] = F32Matrix.of(l[i].w(), l[i].rows(), l[i].cols());
        return new LayerWeights(attnNorm, m[0], m[1], m[2], m[3], qBias, kBias, vBias, qNorm, kNorm, ffnNorm, m[4], m[5], m[6]);
    }
}
