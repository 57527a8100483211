package dev.lowbit.quant.grid;

import dev.lowbit.kernels.ScaleFormat;

/**
 * Uniform integers. Asymmetric: codes 0 … 2^b−1 with a per-group scale and offset (w = scale·q + min).
 * Symmetric: levels −2^(b−1) … 2^(b−1)−1 with a per-group scale only; like ggml's Q4_0 the scale is signed, so
 * the group's largest-magnitude weight always lands on the extra negative level and the full range is used.
 */
public final class IntegerGrid extends Grid {
    private final boolean symmetric;
    private final int minLevel;
    private final int maxLevel;

    public IntegerGrid(int bits, boolean symmetric) {
        super("int" + bits + (symmetric ? "-sym" : ""), check(bits, symmetric), levels(bits, symmetric), all(bits));
        this.symmetric = symmetric;
        this.minLevel = symmetric ? -(1 << (bits - 1)) : 0;
        this.maxLevel = symmetric ? (1 << (bits - 1)) - 1 : (1 << bits) - 1;
    }

    private static int check(int bits, boolean symmetric) {
        if (bits < 1 || bits > 8) throw new IllegalArgumentException("integer grids have 1 to 8 bits, got " + bits);
        if (symmetric && bits < 2) throw new IllegalArgumentException("a 1-bit symmetric integer grid has no zero; use the asymmetric one");
        return bits;
    }

    private static float[] levels(int bits, boolean symmetric) {
        float[] l = new float[1 << bits];
        int base = symmetric ? -(1 << (bits - 1)) : 0;
        for (int c = 0; c < l.length; c++) l[c] = base + c;
        return l;
    }

    static boolean[] all(int bits) {
        boolean[] v = new boolean[1 << bits];
        java.util.Arrays.fill(v, true);
        return v;
    }

    public boolean symmetric() {
        return symmetric;
    }

    @Override
    public boolean hasOffset() {
        return !symmetric;
    }

    @Override
    public GroupScale fit(float[] w, int off, int n, float shrink) {
        if (symmetric) {
            float extreme = 0; // the signed weight of largest magnitude
            for (int i = off; i < off + n; i++) if (Math.abs(w[i]) > Math.abs(extreme)) extreme = w[i];
            return new GroupScale(ScaleFormat.F16.round(extreme * shrink / minLevel) + 0f, 0f); // + 0f: no −0 scale
        }
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (int i = off; i < off + n; i++) {
            lo = Math.min(lo, w[i]);
            hi = Math.max(hi, w[i]);
        }
        lo *= shrink;
        hi *= shrink;
        float offset = ScaleFormat.F16.round(lo);
        return new GroupScale(ScaleFormat.F16.round((hi - offset) / maxLevel), offset);
    }

    @Override
    public int nearest(float x) {
        // Math.rint rounds half to even, which is the even code: codes are levels shifted by an even number.
        double q = Math.rint(x);
        if (!(q > minLevel)) return 0; // also NaN
        if (q >= maxLevel) return maxLevel - minLevel;
        return (int) q - minLevel;
    }
}
