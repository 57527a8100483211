package dev.lowbit.engine.train;

import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.Rope;
import dev.lowbit.kernels.WorkerPool;
import java.util.Arrays;

/**
 * One decoder block over one window, forward and in reverse mode, as {@code LlamaModel} computes it:
 * <pre>
 *   n1 = rmsnorm(x)            q, k, v = Wq·n1 + bq, Wk·n1 + bk, Wv·n1 + bv     (q, k head-normed: Qwen3)
 *   q, k = rope(q), rope(k)    x1 = x + Wo · attention(q, k, v)
 *   n2 = rmsnorm(x1)           out = x1 + Wdown · (silu(Wgate·n2) ⊙ Wup·n2)
 * </pre>
 * {@link #forward} keeps every intermediate (the tape) for one window; {@link #backward} then turns the gradient
 * of the block's output into that of its input and adds the parameters' gradients. A caller that keeps only
 * each block's input runs {@code forward} again just before {@code backward} (recomputation), so one block's tape
 * is all the memory a window needs beyond the residual streams.
 */
public final class BlockPass {
    private final LlamaConfig c;
    private final Rope rope;
    private final WorkerPool pool;
    private final int maxTokens;
    // The tape of the last forward pass.
    private int tokens, layer;
    private final float[] inv1, n1, qPre, kPre, qInv, kInv, q, k, v, p, att, x1, inv2, n2, gate, up, h;
    // Backward scratch.
    private final float[] dx1, dh, dGate, dUp, dn, dAtt, dq, dk, dv, dPre;

    public BlockPass(LlamaConfig c, int maxTokens, WorkerPool pool) {
        if (maxTokens < 1 || maxTokens > c.contextLength()) throw new IllegalArgumentException("windows of " + maxTokens + " tokens");
        this.c = c;
        this.pool = pool;
        this.maxTokens = maxTokens;
        this.rope = new Rope(c.ropeStyle(), c.headDim(), maxTokens, c.ropeFrequencies());
        int t = maxTokens, dim = c.dim(), qd = c.qDim(), kvd = c.kvDim(), hid = c.hiddenDim();
        inv1 = new float[t];
        n1 = new float[t * dim];
        qPre = new float[t * qd];
        kPre = new float[t * kvd];
        qInv = new float[t * c.nHeads()];
        kInv = new float[t * c.nKvHeads()];
        q = new float[t * qd];
        k = new float[t * kvd];
        v = new float[t * kvd];
        p = new float[Math.multiplyExact(Math.multiplyExact(c.nHeads(), t), t)];
        att = new float[t * qd];
        x1 = new float[t * dim];
        inv2 = new float[t];
        n2 = new float[t * dim];
        gate = new float[t * hid];
        up = new float[t * hid];
        h = new float[t * hid];
        dx1 = new float[t * dim];
        dh = new float[t * hid];
        dGate = new float[t * hid];
        dUp = new float[t * hid];
        dn = new float[t * dim];
        dAtt = new float[t * qd];
        dq = new float[t * qd];
        dk = new float[t * kvd];
        dv = new float[t * kvd];
        dPre = new float[t * Math.max(qd, kvd)];
    }

    /** Bytes this pass holds (one window's tape and scratch). */
    public long bytes() {
        long n = 0;
        for (float[] a : new float[][] {inv1, n1, qPre, kPre, qInv, kInv, q, k, v, p, att, x1, inv2, n2, gate, up, h, dx1, dh, dGate, dUp,
                dn, dAtt, dq, dk, dv, dPre}) n += a.length;
        return 4 * n;
    }

    /** out = block(x) for {@code tokens} tokens at positions 0.., layer {@code l}; keeps the tape. x and out may not alias. */
    public void forward(DenseBlock b, int l, float[] x, float[] out, int tokens) {
        if (tokens < 1 || tokens > maxTokens) throw new IllegalArgumentException("window of " + tokens + " tokens, pass holds " + maxTokens);
        this.tokens = tokens;
        this.layer = l;
        int dim = c.dim(), hd = c.headDim();
        RmsNormGrad.forward(x, b.attnNorm(), n1, inv1, tokens, dim, c.normEps());
        b.wq().forward(n1, b.qBias(), q, tokens, pool);
        b.wk().forward(n1, b.kBias(), k, tokens, pool);
        b.wv().forward(n1, b.vBias(), v, tokens, pool);
        if (b.qNorm() != null) {
            System.arraycopy(q, 0, qPre, 0, tokens * c.qDim());
            System.arraycopy(k, 0, kPre, 0, tokens * c.kvDim());
            RmsNormGrad.forward(qPre, b.qNorm(), q, qInv, tokens * c.nHeads(), hd, c.normEps());
            RmsNormGrad.forward(kPre, b.kNorm(), k, kInv, tokens * c.nKvHeads(), hd, c.normEps());
        }
        if (c.ropeInLayer(l)) {
            rope.apply(q, tokens, c.nHeads(), 0);
            rope.apply(k, tokens, c.nKvHeads(), 0);
        }
        attention(tokens).forward(q, k, v, p, att, pool);
        b.wo().forward(att, null, x1, tokens, pool);
        for (int i = 0; i < tokens * dim; i++) x1[i] += x[i];
        RmsNormGrad.forward(x1, b.ffnNorm(), n2, inv2, tokens, dim, c.normEps());
        b.gate().forward(n2, null, gate, tokens, pool);
        b.up().forward(n2, null, up, tokens, pool);
        SwigluGrad.forward(gate, up, h, tokens * c.hiddenDim());
        b.down().forward(h, null, out, tokens, pool);
        for (int i = 0; i < tokens * dim; i++) out[i] += x1[i];
    }

    /**
     * From the gradient of the block's output (dOut), writes that of its input into dx and adds the parameters'
     * gradients into {@code grads} (null: input gradient only). The tape must be this block's forward pass on x.
     */
    public void backward(DenseBlock b, float[] x, float[] dOut, float[] dx, BlockGradients grads) {
        int n = tokens, dim = c.dim(), qd = c.qDim(), kvd = c.kvDim(), hid = c.hiddenDim();
        // MLP half: out = x1 + Wdown · swiglu(Wgate·n2, Wup·n2)
        System.arraycopy(dOut, 0, dx1, 0, n * dim);
        Arrays.fill(dh, 0, n * hid, 0f);
        b.down().backwardInput(dOut, dh, n, pool);
        if (grads != null) b.down().backwardWeights(dOut, h, grads.linear(6), n, pool);
        SwigluGrad.backward(dh, gate, up, dGate, dUp, n * hid);
        Arrays.fill(dn, 0, n * dim, 0f);
        b.gate().backwardInput(dGate, dn, n, pool);
        b.up().backwardInput(dUp, dn, n, pool);
        if (grads != null) {
            b.gate().backwardWeights(dGate, n2, grads.linear(4), n, pool);
            b.up().backwardWeights(dUp, n2, grads.linear(5), n, pool);
        }
        RmsNormGrad.backward(dn, x1, b.ffnNorm(), inv2, dx1, grads == null ? null : grads.ffnNorm(), n, dim);
        // Attention half: x1 = x + Wo · attention(q, k, v)
        Arrays.fill(dAtt, 0, n * qd, 0f);
        b.wo().backwardInput(dx1, dAtt, n, pool);
        if (grads != null) b.wo().backwardWeights(dx1, att, grads.linear(3), n, pool);
        attention(n).backward(dAtt, q, k, v, p, dq, dk, dv, pool);
        if (c.ropeInLayer(layer)) {
            rope.applyInverse(dq, n, c.nHeads(), 0);
            rope.applyInverse(dk, n, c.nKvHeads(), 0);
        }
        if (b.qNorm() != null) {
            headNormBackward(dq, qPre, b.qNorm(), qInv, n * c.nHeads(), grads == null ? null : grads.qNorm(), qd);
            headNormBackward(dk, kPre, b.kNorm(), kInv, n * c.nKvHeads(), grads == null ? null : grads.kNorm(), kvd);
        }
        if (grads != null) {
            addBiasGradient(dq, grads.qBias(), n, qd);
            addBiasGradient(dk, grads.kBias(), n, kvd);
            addBiasGradient(dv, grads.vBias(), n, kvd);
        }
        Arrays.fill(dn, 0, n * dim, 0f);
        b.wq().backwardInput(dq, dn, n, pool);
        b.wk().backwardInput(dk, dn, n, pool);
        b.wv().backwardInput(dv, dn, n, pool);
        if (grads != null) {
            b.wq().backwardWeights(dq, n1, grads.linear(0), n, pool);
            b.wk().backwardWeights(dk, n1, grads.linear(1), n, pool);
            b.wv().backwardWeights(dv, n1, grads.linear(2), n, pool);
        }
        System.arraycopy(dx1, 0, dx, 0, n * dim);
        RmsNormGrad.backward(dn, x, b.attnNorm(), inv1, dx, grads == null ? null : grads.attnNorm(), n, dim);
    }

    /** d (the gradient after the head norm, width·n values) becomes the gradient before it. */
    private void headNormBackward(float[] d, float[] pre, float[] weight, float[] inv, int vectors, float[] dWeight, int width) {
        Arrays.fill(dPre, 0, tokens * width, 0f);
        RmsNormGrad.backward(d, pre, weight, inv, dPre, dWeight, vectors, c.headDim());
        System.arraycopy(dPre, 0, d, 0, tokens * width);
    }

    private static void addBiasGradient(float[] d, float[] db, int n, int width) {
        if (db == null) return;
        for (int t = 0; t < n; t++) for (int i = 0; i < width; i++) db[i] += d[t * width + i];
    }

    private AttentionGrad attention(int tokens) {
        return new AttentionGrad(c.nHeads(), c.nKvHeads(), c.headDim(), tokens);
    }
}
