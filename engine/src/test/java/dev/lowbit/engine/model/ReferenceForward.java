package dev.lowbit.engine.model;

/**
 * A deliberately naive, scalar, double-precision Llama forward pass: one token at a time, every formula
 * written out. It shares no code with {@link LlamaModel} except reading weights, so it is a second
 * implementation to compare against. Gemma's departures are written from Hugging Face's {@code modeling_gemma2/3}:
 * embedding × √d, query_pre_attn_scalar, tanh soft-caps, sliding windows with their own RoPE base, post-norms,
 * GELU (tanh); Phi-3's partial rotary and LongRoPE magnitude from {@code modeling_phi3}.
 */
final class ReferenceForward {
    private final LlamaConfig c;
    private final LlamaWeights w;
    private final double[][][] keys;   // layer, position, kvDim
    private final double[][][] values;

    private final int ctx;

    /** @param ctx the sequence's context (LongRoPE's long factors beyond the original one) */
    ReferenceForward(LlamaConfig c, LlamaWeights w, int ctx) {
        this.ctx = ctx;
        this.c = c;
        this.w = w;
        keys = new double[c.nLayers()][ctx][];
        values = new double[c.nLayers()][ctx][];
    }

    double[] step(int token, int pos) {
        ModelTraits t = c.traits();
        double[] x = row(w.tokenEmbedding(), token);
        for (int i = 0; i < x.length; i++) x[i] *= t.embeddingScale();
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights lw = w.layers().get(l);
            double[] n = rmsNorm(x, lw.attnNorm());
            double[] q = add(matmul(lw.wq(), n), lw.qBias());
            double[] k = add(matmul(lw.wk(), n), lw.kBias());
            double[] v = add(matmul(lw.wv(), n), lw.vBias());
            if (lw.qNorm() != null) {
                headNorm(q, lw.qNorm());
                headNorm(k, lw.kNorm());
            }
            if (c.noRopeEvery() == 0 || (l + 1) % c.noRopeEvery() != 0) { // SmolLM3: no RoPE in every fourth layer
                double[] freqs = t.slides(l) && t.slidingRopeFrequencies() != null ? t.slidingRopeFrequencies()
                        : t.longRopeFrequencies() != null && ctx > t.ropeOriginalContext() ? t.longRopeFrequencies() : c.ropeFrequencies();
                rope(q, pos, freqs);
                rope(k, pos, freqs);
            }
            keys[l][pos] = k;
            values[l][pos] = v;
            double[] att = new double[c.qDim()];
            int hd = c.headDim();
            for (int h = 0; h < c.nHeads(); h++) {
                int kvh = h / (c.nHeads() / c.nKvHeads());
                double[] scores = new double[pos + 1];
                double max = Double.NEGATIVE_INFINITY;
                double scale = t.queryScale() != 0 ? t.queryScale() : 1 / Math.sqrt(hd);
                // a sliding layer masks key p when pos − p ≥ window
                int first = t.slides(l) ? Math.max(0, pos - t.slidingWindow() + 1) : 0;
                for (int p = first; p <= pos; p++) {
                    double s = 0;
                    for (int i = 0; i < hd; i++) s += q[h * hd + i] * keys[l][p][kvh * hd + i];
                    scores[p] = softcap(s * scale, t.attentionSoftcap());
                    max = Math.max(max, scores[p]);
                }
                double z = 0;
                for (int p = first; p <= pos; p++) z += scores[p] = Math.exp(scores[p] - max);
                for (int p = first; p <= pos; p++) {
                    for (int i = 0; i < hd; i++) att[h * hd + i] += scores[p] / z * values[l][p][kvh * hd + i];
                }
            }
            if (lw.attnSubNorm() != null) att = rmsNorm(att, lw.attnSubNorm()); // BitNet
            double[] o = matmul(lw.wo(), att);
            if (lw.postAttnNorm() != null) o = rmsNorm(o, lw.postAttnNorm());
            for (int i = 0; i < x.length; i++) x[i] += o[i];
            n = rmsNorm(x, lw.ffnNorm());
            double[] g = matmul(lw.wGate(), n), u = matmul(lw.wUp(), n);
            for (int i = 0; i < g.length; i++) {
                double a = switch (t.activation()) {
                    case SILU -> g[i] / (1 + Math.exp(-g[i]));
                    case GELU_TANH -> 0.5 * g[i] * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g[i] + 0.044715 * g[i] * g[i] * g[i])));
                };
                g[i] = a * u[i];
            }
            if (lw.ffnSubNorm() != null) g = rmsNorm(g, lw.ffnSubNorm());
            double[] d = matmul(lw.wDown(), g);
            if (lw.postFfnNorm() != null) d = rmsNorm(d, lw.postFfnNorm());
            for (int i = 0; i < x.length; i++) x[i] += d[i];
        }
        double[] logits = matmul(w.classifier(), rmsNorm(x, w.finalNorm()));
        for (int i = 0; i < logits.length; i++) logits[i] = softcap(logits[i], t.finalSoftcap());
        return logits;
    }

    private static double softcap(double v, double cap) {
        return cap == 0 ? v : cap * Math.tanh(v / cap);
    }

    /** Rotates the first 2·freqs.length dimensions of each head; the rest pass (partial rotary). */
    private void rope(double[] v, int pos, double[] freqs) {
        int hd = c.headDim(), half = freqs.length;
        double m = c.traits().ropeMagnitude();
        for (int base = 0; base < v.length; base += hd) {
            for (int i = 0; i < half; i++) {
                double angle = pos * freqs[i];
                int a, b;
                if (c.ropeStyle() == RopeStyle.ADJACENT_PAIRS) {
                    a = base + 2 * i;
                    b = a + 1;
                } else {
                    a = base + i;
                    b = a + half;
                }
                double va = v[a], vb = v[b];
                v[a] = m * (va * Math.cos(angle) - vb * Math.sin(angle));
                v[b] = m * (va * Math.sin(angle) + vb * Math.cos(angle));
            }
        }
    }

    private double[] rmsNorm(double[] x, float[] weight) {
        double ss = 0;
        for (double v : x) ss += v * v;
        double inv = 1 / Math.sqrt(ss / x.length + c.normEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) out[i] = x[i] * inv * weight[i];
        return out;
    }

    /** Qwen3's q/k norm: each head's slice of x by its own RMS, times the per-dimension weight (in place). */
    private void headNorm(double[] x, float[] weight) {
        int hd = c.headDim();
        for (int h = 0; h < x.length / hd; h++) {
            double ss = 0;
            for (int i = 0; i < hd; i++) ss += x[h * hd + i] * x[h * hd + i];
            double inv = 1 / Math.sqrt(ss / hd + c.normEps());
            for (int i = 0; i < hd; i++) x[h * hd + i] = x[h * hd + i] * inv * weight[i];
        }
    }

    private static double[] row(dev.lowbit.kernels.WeightMatrix m, int r) {
        float[] f = new float[m.cols()];
        m.readRow(r, f, 0);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    private static double[] matmul(dev.lowbit.kernels.WeightMatrix m, double[] x) {
        double[] y = new double[m.rows()];
        for (int r = 0; r < m.rows(); r++) {
            double[] w = row(m, r);
            for (int i = 0; i < x.length; i++) y[r] += w[i] * x[i];
        }
        return y;
    }

    private static double[] add(double[] v, float[] bias) {
        if (bias != null) for (int i = 0; i < v.length; i++) v[i] += bias[i];
        return v;
    }
}
