package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/** Float vector primitives used by the forward pass and the fp32 kernels. */
public final class VectorOps {

    /** The widest float species of this CPU; {@code static final} so C2 compiles it to fixed-width code. */
    static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /**
     * Whether the fixed-shape kernels (tables, scales, int8) use 512-bit vectors; else 256-bit ones, since a 512-bit
     * vector on a CPU without AVX-512 is not compiled to vector instructions at all.
     */
    static final boolean WIDE = F.vectorBitSize() >= 512;
    static final ValueLayout.OfFloat LE_FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private VectorOps() {}

    // Lane i ↔ lane i XOR k, per species: the steps of a fixed-order lane sum.
    private static final VectorShuffle<Float> X8_16 = swap(FloatVector.SPECIES_512, 8), X4_16 = swap(FloatVector.SPECIES_512, 4),
            X2_16 = swap(FloatVector.SPECIES_512, 2), X1_16 = swap(FloatVector.SPECIES_512, 1);
    private static final VectorShuffle<Float> X4_8 = swap(FloatVector.SPECIES_256, 4), X2_8 = swap(FloatVector.SPECIES_256, 2),
            X1_8 = swap(FloatVector.SPECIES_256, 1);
    private static final VectorShuffle<Float> X2_4 = swap(FloatVector.SPECIES_128, 2), X1_4 = swap(FloatVector.SPECIES_128, 1);

    private static VectorShuffle<Float> swap(VectorSpecies<Float> species, int k) {
        return VectorShuffle.fromOp(species, i -> i ^ k);
    }

    /**
     * The sum of the lanes in a fixed order (each lane added to its partner k lanes away, k halving).
     * {@code reduceLanes(ADD)} leaves the order of float additions open, and the interpreter's order differs from C2's,
     * so results changed in the last bits depending on when C2 had compiled the caller (an exact test failed).
     */
    static float sum(FloatVector v) {
        FloatVector s = switch (v.length()) {
            case 16 -> {
                FloatVector t = v.add(v.rearrange(X8_16));
                t = t.add(t.rearrange(X4_16));
                t = t.add(t.rearrange(X2_16));
                yield t.add(t.rearrange(X1_16));
            }
            case 8 -> {
                FloatVector t = v.add(v.rearrange(X4_8));
                t = t.add(t.rearrange(X2_8));
                yield t.add(t.rearrange(X1_8));
            }
            case 4 -> {
                FloatVector t = v.add(v.rearrange(X2_4));
                yield t.add(t.rearrange(X1_4));
            }
            default -> throw new IllegalArgumentException(v.length() + " lanes");
        };
        return s.lane(0);
    }

    /** Σ a[aOff+i]·b[bOff+i] for i in [0, n). */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int step = F.length();
        int i = 0;
        for (; i <= n - 2 * step; i += 2 * step) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(F, a, aOff + i + step).fma(FloatVector.fromArray(F, b, bOff + i + step), acc1);
        }
        for (; i <= n - step; i += step) {
            acc0 = FloatVector.fromArray(F, a, aOff + i).fma(FloatVector.fromArray(F, b, bOff + i), acc0);
        }
        float sum = sum(acc0.add(acc1));
        for (; i < n; i++) sum += a[aOff + i] * b[bOff + i];
        return sum;
    }

    /** Σ w[i]·x[xOff+i] where w is n little-endian floats at byte offset {@code wOff} of {@code seg}. */
    public static float dot(MemorySegment seg, long wOff, float[] x, int xOff, int n) {
        FloatVector acc0 = FloatVector.zero(F), acc1 = FloatVector.zero(F);
        int step = F.length();
        int i = 0;
        for (; i <= n - 2 * step; i += 2 * step) {
            acc0 = load(seg, wOff + 4L * i).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
            acc1 = load(seg, wOff + 4L * (i + step)).fma(FloatVector.fromArray(F, x, xOff + i + step), acc1);
        }
        for (; i <= n - step; i += step) {
            acc0 = load(seg, wOff + 4L * i).fma(FloatVector.fromArray(F, x, xOff + i), acc0);
        }
        float sum = sum(acc0.add(acc1));
        for (; i < n; i++) sum += seg.get(LE_FLOAT, wOff + 4L * i) * x[xOff + i];
        return sum;
    }

    static FloatVector load(MemorySegment seg, long byteOffset) {
        return FloatVector.fromMemorySegment(F, seg, byteOffset, ByteOrder.LITTLE_ENDIAN);
    }

    /** dst[dOff+i] += src[sOff+i]. */
    public static void add(float[] dst, int dOff, float[] src, int sOff, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, dst, dOff + i).add(FloatVector.fromArray(F, src, sOff + i)).intoArray(dst, dOff + i);
        }
        for (; i < n; i++) dst[dOff + i] += src[sOff + i];
    }

    /** dst[dOff+i] += a · src[sOff+i]. */
    public static void axpy(float[] dst, int dOff, float a, float[] src, int sOff, int n) {
        int i = 0;
        FloatVector av = FloatVector.broadcast(F, a);
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, src, sOff + i).fma(av, FloatVector.fromArray(F, dst, dOff + i)).intoArray(dst, dOff + i);
        }
        for (; i < n; i++) dst[dOff + i] += a * src[sOff + i];
    }

    /**
     * out[oOff+p] = scale · Σ_d q[qOff+d] · rows[rOff + p·dim + d] for p < count: attention's scores of one query
     * against consecutive key rows. Columns go in runs of four vectors with the query's run held in registers; a
     * row's run is summed in a fixed order (the same bits in every JIT tier) and runs are added in order.
     */
    public static void scaledRowDots(float[] out, int oOff, float[] q, int qOff, float[] rows, int rOff, int count, int dim, float scale) {
        int step = F.length(), d = 0;
        java.util.Arrays.fill(out, oOff, oOff + count, 0f);
        for (; d <= dim - 4 * step; d += 4 * step) {
            FloatVector q0 = FloatVector.fromArray(F, q, qOff + d), q1 = FloatVector.fromArray(F, q, qOff + d + step);
            FloatVector q2 = FloatVector.fromArray(F, q, qOff + d + 2 * step), q3 = FloatVector.fromArray(F, q, qOff + d + 3 * step);
            for (int p = 0, at = rOff + d; p < count; p++, at += dim) {
                FloatVector a = FloatVector.fromArray(F, rows, at).mul(q0).add(FloatVector.fromArray(F, rows, at + step).mul(q1))
                        .add(FloatVector.fromArray(F, rows, at + 2 * step).mul(q2).add(FloatVector.fromArray(F, rows, at + 3 * step).mul(q3)));
                out[oOff + p] += sum(a);
            }
        }
        for (; d <= dim - step; d += step) {
            FloatVector q0 = FloatVector.fromArray(F, q, qOff + d);
            for (int p = 0, at = rOff + d; p < count; p++, at += dim) out[oOff + p] += sum(FloatVector.fromArray(F, rows, at).mul(q0));
        }
        for (; d < dim; d++) {
            for (int p = 0; p < count; p++) out[oOff + p] += q[qOff + d] * rows[rOff + p * dim + d];
        }
        for (int p = 0; p < count; p++) out[oOff + p] *= scale;
    }

    /**
     * out[oOff+d] = Σ_{p<count} w[wOff+p] · rows[rOff + p·dim + d] for d < dim: attention's mix of value rows.
     * Accumulates up to four vectors of columns in registers over all rows, rather than adding each row into out
     * (an axpy per row makes every row wait for the previous row's stores).
     */
    public static void weightedRowSum(float[] out, int oOff, float[] w, int wOff, float[] rows, int rOff, int count, int dim) {
        int step = F.length(), d = 0;
        for (; d <= dim - 4 * step; d += 4 * step) {
            FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
            for (int p = 0, at = rOff + d; p < count; p++, at += dim) {
                FloatVector wp = FloatVector.broadcast(F, w[wOff + p]);
                a0 = FloatVector.fromArray(F, rows, at).fma(wp, a0);
                a1 = FloatVector.fromArray(F, rows, at + step).fma(wp, a1);
                a2 = FloatVector.fromArray(F, rows, at + 2 * step).fma(wp, a2);
                a3 = FloatVector.fromArray(F, rows, at + 3 * step).fma(wp, a3);
            }
            a0.intoArray(out, oOff + d);
            a1.intoArray(out, oOff + d + step);
            a2.intoArray(out, oOff + d + 2 * step);
            a3.intoArray(out, oOff + d + 3 * step);
        }
        for (; d <= dim - step; d += step) {
            FloatVector a = FloatVector.zero(F);
            for (int p = 0, at = rOff + d; p < count; p++, at += dim) a = FloatVector.fromArray(F, rows, at).fma(FloatVector.broadcast(F, w[wOff + p]), a);
            a.intoArray(out, oOff + d);
        }
        for (; d < dim; d++) {
            float a = 0;
            for (int p = 0; p < count; p++) a = Math.fma(rows[rOff + p * dim + d], w[wOff + p], a);
            out[oOff + d] = a;
        }
    }

    /** out = x / rms(x) · weight, with rms(x) = sqrt(mean(x²) + eps). */
    public static void rmsNorm(float[] out, int oOff, float[] x, int xOff, float[] weight, int n, float eps) {
        float ss = dot(x, xOff, x, xOff, n);
        float inv = (float) (1.0 / Math.sqrt(ss / n + eps));
        int i = 0;
        FloatVector s = FloatVector.broadcast(F, inv);
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector.fromArray(F, x, xOff + i).mul(s).mul(FloatVector.fromArray(F, weight, i)).intoArray(out, oOff + i);
        }
        for (; i < n; i++) out[oOff + i] = x[xOff + i] * inv * weight[i];
    }

    /** In-place numerically stable softmax of x[off .. off+n), through {@link Exp} (the same bits in every JIT tier). */
    public static void softmax(float[] x, int off, int n) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector e = Exp.exp(FloatVector.fromArray(F, x, off + i).sub(max));
            e.intoArray(x, off + i);
            acc = acc.add(e);
        }
        float sum = sum(acc);
        for (; i < n; i++) {
            float e = Exp.exp(x[off + i] - max);
            x[off + i] = e;
            sum += e;
        }
        float inv = 1f / sum;
        for (i = 0; i < n; i++) x[off + i] *= inv;
    }

    /**
     * SwiGLU: gate[i] = silu(gate[i]) · up[i], with silu(v) = v·σ(v). Vector lanes and the scalar tail round alike,
     * so a value's result does not depend on its index.
     */
    public static void swiglu(float[] gate, float[] up, int n) {
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            g.div(Exp.exp(g.neg()).add(1f)).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            float g = gate[i];
            gate[i] = g / (Exp.exp(-g) + 1f) * up[i];
        }
    }

    private static final float SQRT_2_OVER_PI = 0.7978845608028654f, GELU_COEF = 0.044715f;

    /**
     * GeGLU (Gemma): gate[i] = gelu(gate[i]) · up[i] with the tanh approximation
     * gelu(v) = ½v(1 + tanh(√(2/π)(v + 0.044715v³))), tanh(u) written as 1 − 2/(e^{2u} + 1), which saturates to ±1
     * as the exponential overflows or vanishes.
     */
    public static void geglu(float[] gate, float[] up, int n) {
        int i = 0;
        FloatVector one = FloatVector.broadcast(F, 1f), two = FloatVector.broadcast(F, 2f);
        for (int bound = F.loopBound(n); i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector u = g.mul(GELU_COEF).mul(g).add(1f).mul(g).mul(2 * SQRT_2_OVER_PI);
            FloatVector tanh = one.sub(two.div(Exp.exp(u).add(1f)));
            g.mul(0.5f).mul(tanh.add(1f)).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        for (; i < n; i++) {
            float g = gate[i];
            float u = (GELU_COEF * g * g + 1f) * g * (2 * SQRT_2_OVER_PI);
            float tanh = 1f - 2f / (Exp.exp(u) + 1f);
            gate[i] = 0.5f * g * (tanh + 1f) * up[i];
        }
    }

    /** Soft-capping (Gemma 2): x[i] ← cap · tanh(x[i] / cap). */
    public static void softcap(float[] x, int off, int n, float cap) {
        for (int i = off; i < off + n; i++) x[i] = (float) (cap * Math.tanh(x[i] / cap));
    }
}
