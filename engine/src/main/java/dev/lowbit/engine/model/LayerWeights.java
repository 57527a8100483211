package dev.lowbit.engine.model;

import dev.lowbit.kernels.WeightMatrix;

/**
 * One decoder block: attention (norm, q/k/v/o) and SwiGLU MLP (norm, gate/up/down).
 * The q/k/v biases are {@code null} except for architectures that have them (Qwen2); so are the per-head RMSNorm
 * weights of q and k (Qwen3: each head of q and of k is normalized, before RoPE, with one weight per head dimension),
 * the norms Gemma applies to each sub-block's output before it joins the residual stream ({@code postAttnNorm},
 * {@code postFfnNorm}), and BitNet's norms on the inputs of o and down ({@code attnSubNorm}, qDim values;
 * {@code ffnSubNorm}, hiddenDim values).
 */
public record LayerWeights(
        float[] attnNorm, WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
        float[] qBias, float[] kBias, float[] vBias, float[] qNorm, float[] kNorm, float[] attnSubNorm, float[] postAttnNorm,
        float[] ffnNorm, WeightMatrix wGate, WeightMatrix wUp, WeightMatrix wDown, float[] ffnSubNorm, float[] postFfnNorm) {

    /** A block with Gemma's post-norms (or none), without BitNet's sub-norms. */
    public LayerWeights(float[] attnNorm, WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
                        float[] qBias, float[] kBias, float[] vBias, float[] qNorm, float[] kNorm, float[] postAttnNorm,
                        float[] ffnNorm, WeightMatrix wGate, WeightMatrix wUp, WeightMatrix wDown, float[] postFfnNorm) {
        this(attnNorm, wq, wk, wv, wo, qBias, kBias, vBias, qNorm, kNorm, null, postAttnNorm, ffnNorm, wGate, wUp, wDown, null, postFfnNorm);
    }

    /** A block without post-norms (every architecture but Gemma's). */
    public LayerWeights(float[] attnNorm, WeightMatrix wq, WeightMatrix wk, WeightMatrix wv, WeightMatrix wo,
                        float[] qBias, float[] kBias, float[] vBias, float[] qNorm, float[] kNorm,
                        float[] ffnNorm, WeightMatrix wGate, WeightMatrix wUp, WeightMatrix wDown) {
        this(attnNorm, wq, wk, wv, wo, qBias, kBias, vBias, qNorm, kNorm, null, ffnNorm, wGate, wUp, wDown, null);
    }

    /** The same block with these matrices (quantized, or scaled by calibration); vectors are kept. */
    public LayerWeights withMatrices(WeightMatrix q, WeightMatrix k, WeightMatrix v, WeightMatrix o,
                                     WeightMatrix gate, WeightMatrix up, WeightMatrix down) {
        return new LayerWeights(attnNorm, q, k, v, o, qBias, kBias, vBias, qNorm, kNorm, attnSubNorm, postAttnNorm, ffnNorm, gate, up, down,
                ffnSubNorm, postFfnNorm);
    }

    /** True when the block has only what the Llama/Qwen block has (no post-norms, no sub-norms). */
    public boolean llamaBlock() {
        return postAttnNorm == null && postFfnNorm == null && !hasSubNorms();
    }

    /** BitNet's norms between attention and o, and between the gated product and down. */
    public boolean hasSubNorms() {
        return attnSubNorm != null || ffnSubNorm != null;
    }

    /** Checks every shape against the config; a mismatch names the layer and the tensor. */
    public void validate(LlamaConfig c, int layer) {
        checkVector(attnNorm, c.dim(), layer, "attention norm");
        checkVector(ffnNorm, c.dim(), layer, "MLP norm");
        checkMatrix(wq, c.qDim(), c.dim(), layer, "wq");
        checkMatrix(wk, c.kvDim(), c.dim(), layer, "wk");
        checkMatrix(wv, c.kvDim(), c.dim(), layer, "wv");
        checkMatrix(wo, c.dim(), c.qDim(), layer, "wo");
        checkMatrix(wGate, c.hiddenDim(), c.dim(), layer, "gate");
        checkMatrix(wUp, c.hiddenDim(), c.dim(), layer, "up");
        checkMatrix(wDown, c.dim(), c.hiddenDim(), layer, "down");
        if (qBias != null) checkVector(qBias, c.qDim(), layer, "q bias");
        if (kBias != null) checkVector(kBias, c.kvDim(), layer, "k bias");
        if (vBias != null) checkVector(vBias, c.kvDim(), layer, "v bias");
        if ((qNorm == null) != (kNorm == null)) throw new IllegalArgumentException("layer " + layer + ": q and k norms come together");
        if (qNorm != null) checkVector(qNorm, c.headDim(), layer, "q norm");
        if (kNorm != null) checkVector(kNorm, c.headDim(), layer, "k norm");
        if ((postAttnNorm == null) != (postFfnNorm == null)) {
            throw new IllegalArgumentException("layer " + layer + ": post-attention and post-MLP norms come together");
        }
        if (postAttnNorm != null) checkVector(postAttnNorm, c.dim(), layer, "post-attention norm");
        if (postFfnNorm != null) checkVector(postFfnNorm, c.dim(), layer, "post-MLP norm");
        if ((attnSubNorm == null) != (ffnSubNorm == null)) throw new IllegalArgumentException("layer " + layer + ": attention and MLP sub-norms come together");
        if (attnSubNorm != null) checkVector(attnSubNorm, c.qDim(), layer, "attention sub-norm");
        if (ffnSubNorm != null) checkVector(ffnSubNorm, c.hiddenDim(), layer, "MLP sub-norm");
    }

    static void checkMatrix(WeightMatrix m, int rows, int cols, int layer, String name) {
        if (m == null) throw new IllegalArgumentException("layer " + layer + ": " + name + " missing");
        if (m.rows() != rows || m.cols() != cols) {
            throw new IllegalArgumentException("layer " + layer + ": " + name + " is " + m.rows() + "x" + m.cols()
                    + ", expected " + rows + "x" + cols);
        }
    }

    static void checkVector(float[] v, int n, int layer, String name) {
        if (v == null || v.length != n) {
            throw new IllegalArgumentException("layer " + layer + ": " + name + " has "
                    + (v == null ? "no" : String.valueOf(v.length)) + " values, expected " + n);
        }
    }
}
