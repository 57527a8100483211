package dev.lowbit.engine.train;

import dev.lowbit.kernels.VectorOps;
import dev.lowbit.kernels.WorkerPool;

/**
 * Causal attention over one window of T tokens at positions 0..T−1, with grouped KV heads, and its reverse mode:
 * S = q·kᵀ / √d over positions p ≤ t, P = softmax(S), o = P·v. The forward pass keeps P (heads × T × T). Work is
 * split by KV head, so the key and value gradients of a head are written by one thread.
 */
final class AttentionGrad {
    private final int heads, kvHeads, headDim, tokens;
    private final float scale;

    AttentionGrad(int heads, int kvHeads, int headDim, int tokens) {
        this.heads = heads;
        this.kvHeads = kvHeads;
        this.headDim = headDim;
        this.tokens = tokens;
        this.scale = (float) (1.0 / Math.sqrt(headDim));
    }

    /** att = attention(q, k, v); P filled for the backward pass. */
    void forward(float[] q, float[] k, float[] v, float[] p, float[] att, WorkerPool pool) {
        int qDim = heads * headDim, kvDim = kvHeads * headDim, group = heads / kvHeads;
        pool.parallelFor(kvHeads, 1, (g0, g1) -> {
            for (int h = g0 * group; h < g1 * group; h++) {
                int kvOff = (h / group) * headDim;
                for (int t = 0; t < tokens; t++) {
                    int row = (h * tokens + t) * tokens;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        p[row + s] = scale * VectorOps.dot(q, t * qDim + h * headDim, k, s * kvDim + kvOff, headDim);
                        max = Math.max(max, p[row + s]);
                    }
                    double z = 0;
                    for (int s = 0; s <= t; s++) z += p[row + s] = (float) Math.exp(p[row + s] - max);
                    float invZ = (float) (1 / z);
                    java.util.Arrays.fill(att, t * qDim + h * headDim, t * qDim + (h + 1) * headDim, 0f);
                    for (int s = 0; s <= t; s++) {
                        p[row + s] *= invZ;
                        VectorOps.axpy(att, t * qDim + h * headDim, p[row + s], v, s * kvDim + kvOff, headDim);
                    }
                    java.util.Arrays.fill(p, row + t + 1, row + tokens, 0f);
                }
            }
        });
    }

    /**
     * From dAtt, the gradients of q, k and v (overwritten): dP = dO·vᵀ, dS = P ⊙ (dP − rowsum(P ⊙ dP)),
     * dq = dS·k / √d, dk = dSᵀ·q / √d, dv = Pᵀ·dO.
     */
    void backward(float[] dAtt, float[] q, float[] k, float[] v, float[] p, float[] dq, float[] dk, float[] dv, WorkerPool pool) {
        int qDim = heads * headDim, kvDim = kvHeads * headDim, group = heads / kvHeads;
        java.util.Arrays.fill(dq, 0, tokens * qDim, 0f);
        java.util.Arrays.fill(dk, 0, tokens * kvDim, 0f);
        java.util.Arrays.fill(dv, 0, tokens * kvDim, 0f);
        pool.parallelFor(kvHeads, 1, (g0, g1) -> {
            float[] dS = new float[tokens];
            for (int h = g0 * group; h < g1 * group; h++) {
                int kvOff = (h / group) * headDim;
                for (int t = 0; t < tokens; t++) {
                    int row = (h * tokens + t) * tokens, o = t * qDim + h * headDim;
                    double rowSum = 0;
                    for (int s = 0; s <= t; s++) {
                        float dp = VectorOps.dot(dAtt, o, v, s * kvDim + kvOff, headDim);
                        dS[s] = dp;
                        rowSum += (double) p[row + s] * dp;
                        VectorOps.axpy(dv, s * kvDim + kvOff, p[row + s], dAtt, o, headDim);
                    }
                    for (int s = 0; s <= t; s++) {
                        float ds = p[row + s] * (dS[s] - (float) rowSum) * scale;
                        VectorOps.axpy(dq, o, ds, k, s * kvDim + kvOff, headDim);
                        VectorOps.axpy(dk, s * kvDim + kvOff, ds, q, o, headDim);
                    }
                }
            }
        });
    }
}
