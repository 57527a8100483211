package dev.lowbit.engine.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.model.Rope;
import dev.lowbit.engine.model.RopeStyle;
import dev.lowbit.kernels.WorkerPool;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each operation's reverse mode against central finite differences of the operation written from its definition
 * in double precision. The loss is L = Σ r ⊙ y for a fixed random r, so the gradient sent back is r.
 */
class OperationGradientTest {
    private static final double EPS = 1e-4;

    static float[] random(SplittableRandom r, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
        return v;
    }

    static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    static double dot(double[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** Central differences of L(x) = r · f(x) with respect to every element of x, in double. */
    static double[] numeric(float[] x, float[] r, Function<double[], double[]> f) {
        double[] xd = toDouble(x), g = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            double keep = xd[i];
            xd[i] = keep + EPS;
            double up = dot(f.apply(xd), r);
            xd[i] = keep - EPS;
            double down = dot(f.apply(xd), r);
            xd[i] = keep;
            g[i] = (up - down) / (2 * EPS);
        }
        return g;
    }

    /** The largest |analytic − numeric| over max(1, |numeric|), which must stay below 1e-4 (fp32 against double). */
    static double assertClose(float[] analytic, double[] numeric, String what) {
        double worst = 0;
        for (int i = 0; i < numeric.length; i++) worst = Math.max(worst, Math.abs(analytic[i] - numeric[i]) / Math.max(1, Math.abs(numeric[i])));
        assertTrue(worst < 1e-4, what + ": relative gradient error " + worst);
        return worst;
    }

    @Test
    void rmsNorm() {
        SplittableRandom rnd = new SplittableRandom(1);
        int count = 3, n = 11;
        float eps = 1e-5f;
        float[] x = random(rnd, count * n, 2), g = random(rnd, n, 1.5), r = random(rnd, count * n, 1);
        Function<double[], double[]> byX = xd -> rmsNorm(xd, toDouble(g), count, n, eps);
        float[] dx = new float[x.length], dg = new float[n], inv = new float[count];
        RmsNormGrad.forward(x, g, new float[x.length], inv, count, n, eps);
        RmsNormGrad.backward(r, x, g, inv, dx, dg, count, n);
        assertClose(dx, numeric(x, r, byX), "rmsnorm dx");
        assertClose(dg, numeric(g, r, gd -> rmsNorm(toDouble(x), gd, count, n, eps)), "rmsnorm dg");
    }

    static double[] rmsNorm(double[] x, double[] g, int count, int n, float eps) {
        double[] y = new double[x.length];
        for (int i = 0; i < count; i++) {
            double ss = 0;
            for (int j = 0; j < n; j++) ss += x[i * n + j] * x[i * n + j];
            double inv = 1 / Math.sqrt(ss / n + eps);
            for (int j = 0; j < n; j++) y[i * n + j] = x[i * n + j] * inv * g[j];
        }
        return y;
    }

    @Test
    void swiglu() {
        SplittableRandom rnd = new SplittableRandom(2);
        int n = 13;
        float[] gate = random(rnd, n, 4), up = random(rnd, n, 2), r = random(rnd, n, 1);
        float[] dg = new float[n], du = new float[n];
        SwigluGrad.backward(r, gate, up, dg, du, n);
        assertClose(dg, numeric(gate, r, gd -> swiglu(gd, toDouble(up))), "swiglu d gate");
        assertClose(du, numeric(up, r, ud -> swiglu(toDouble(gate), ud)), "swiglu d up");
    }

    static double[] swiglu(double[] g, double[] u) {
        double[] h = new double[g.length];
        for (int i = 0; i < g.length; i++) h[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
        return h;
    }

    @Test
    void linearLayer() {
        SplittableRandom rnd = new SplittableRandom(3);
        int rows = 7, cols = 19, tokens = 5;
        Dense w = new Dense(random(rnd, rows * cols, 1), rows, cols);
        float[] x = random(rnd, tokens * cols, 1), bias = random(rnd, rows, 1), r = random(rnd, tokens * rows, 1);
        float[] dx = new float[x.length], dw = new float[w.w().length];
        try (WorkerPool pool = new WorkerPool(2)) {
            w.backwardInput(r, dx, tokens, pool);
            w.backwardWeights(r, x, dw, tokens, pool);
        }
        assertClose(dx, numeric(x, r, xd -> linear(toDouble(w.w()), xd, toDouble(bias), rows, cols, tokens)), "linear dx");
        assertClose(dw, numeric(w.w(), r, wd -> linear(wd, toDouble(x), toDouble(bias), rows, cols, tokens)), "linear dW");
    }

    static double[] linear(double[] w, double[] x, double[] bias, int rows, int cols, int tokens) {
        double[] y = new double[tokens * rows];
        for (int t = 0; t < tokens; t++) {
            for (int o = 0; o < rows; o++) {
                double s = bias[o];
                for (int i = 0; i < cols; i++) s += w[o * cols + i] * x[t * cols + i];
                y[t * rows + o] = s;
            }
        }
        return y;
    }

    @ParameterizedTest
    @EnumSource(RopeStyle.class)
    void rope(RopeStyle style) {
        SplittableRandom rnd = new SplittableRandom(4);
        int heads = 2, hd = 6, tokens = 4;
        float[] x = random(rnd, tokens * heads * hd, 1), r = random(rnd, x.length, 1);
        Rope rope = new Rope(style, hd, tokens, Rope.standardFrequencies(hd, 10000));
        float[] d = r.clone();
        rope.applyInverse(d, tokens, heads, 0);
        assertClose(d, numeric(x, r, xd -> rotate(xd, style, heads, hd, tokens)), "rope " + style);
    }

    static double[] rotate(double[] x, RopeStyle style, int heads, int hd, int tokens) {
        double[] y = x.clone();
        int half = hd / 2;
        for (int t = 0; t < tokens; t++) {
            for (int h = 0; h < heads; h++) {
                int base = (t * heads + h) * hd;
                for (int i = 0; i < half; i++) {
                    double angle = t * Math.pow(10000, -2.0 * i / hd);
                    int a = style == RopeStyle.ADJACENT_PAIRS ? base + 2 * i : base + i;
                    int b = style == RopeStyle.ADJACENT_PAIRS ? a + 1 : a + half;
                    y[a] = x[a] * Math.cos(angle) - x[b] * Math.sin(angle);
                    y[b] = x[a] * Math.sin(angle) + x[b] * Math.cos(angle);
                }
            }
        }
        return y;
    }

    /** Four query heads over two KV heads (grouped-query attention), five tokens. */
    @Test
    void causalAttentionWithGroupedHeads() {
        SplittableRandom rnd = new SplittableRandom(5);
        int heads = 4, kvHeads = 2, hd = 3, tokens = 5;
        float[] q = random(rnd, tokens * heads * hd, 1.5), k = random(rnd, tokens * kvHeads * hd, 1.5), v = random(rnd, tokens * kvHeads * hd, 1);
        float[] r = random(rnd, q.length, 1);
        AttentionGrad a = new AttentionGrad(heads, kvHeads, hd, tokens);
        float[] p = new float[heads * tokens * tokens], att = new float[q.length];
        float[] dq = new float[q.length], dk = new float[k.length], dv = new float[v.length];
        try (WorkerPool pool = new WorkerPool(2)) {
            a.forward(q, k, v, p, att, pool);
            double[] expected = attention(toDouble(q), toDouble(k), toDouble(v), heads, kvHeads, hd, tokens);
            for (int i = 0; i < att.length; i++) assertTrue(Math.abs(att[i] - expected[i]) < 1e-5, "attention output " + i);
            a.backward(r, q, k, v, p, dq, dk, dv, pool);
        }
        assertClose(dq, numeric(q, r, qd -> attention(qd, toDouble(k), toDouble(v), heads, kvHeads, hd, tokens)), "attention dq");
        assertClose(dk, numeric(k, r, kd -> attention(toDouble(q), kd, toDouble(v), heads, kvHeads, hd, tokens)), "attention dk");
        assertClose(dv, numeric(v, r, vd -> attention(toDouble(q), toDouble(k), vd, heads, kvHeads, hd, tokens)), "attention dv");
    }

    static double[] attention(double[] q, double[] k, double[] v, int heads, int kvHeads, int hd, int tokens) {
        double[] out = new double[q.length];
        int qDim = heads * hd, kvDim = kvHeads * hd;
        for (int h = 0; h < heads; h++) {
            int g = h / (heads / kvHeads);
            for (int t = 0; t < tokens; t++) {
                double[] s = new double[t + 1];
                double max = Double.NEGATIVE_INFINITY, z = 0;
                for (int p = 0; p <= t; p++) {
                    for (int i = 0; i < hd; i++) s[p] += q[t * qDim + h * hd + i] * k[p * kvDim + g * hd + i];
                    s[p] /= Math.sqrt(hd);
                    max = Math.max(max, s[p]);
                }
                for (int p = 0; p <= t; p++) z += s[p] = Math.exp(s[p] - max);
                for (int p = 0; p <= t; p++) for (int i = 0; i < hd; i++) out[t * qDim + h * hd + i] += s[p] / z * v[p * kvDim + g * hd + i];
            }
        }
        return out;
    }
}
