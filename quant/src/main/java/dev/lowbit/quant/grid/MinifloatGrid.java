package dev.lowbit.quant.grid;

import dev.lowbit.kernels.ScaleFormat;

/**
 * Sign–magnitude minifloats ExMy: 1 sign bit, E exponent bits (bias 2^(E−1)−1), M mantissa bits, with
 * subnormals. Codes that a format reserves for NaN/infinity are never produced. Scale per group = absmax over
 * the largest finite value.
 */
public final class MinifloatGrid extends Grid {
    /** Which top codes a format keeps for non-finite values. */
    public enum Reserved {
        /** Every code is a finite number (OCP FP4 E2M1, FP6 E2M3/E3M2, and E3M0, E2M2). */
        NONE,
        /** Only S.1111.111 is NaN (OCP FP8 E4M3, max 448). */
        ALL_ONES_NAN,
        /** Exponent all ones is infinity/NaN, as in IEEE (OCP FP8 E5M2, max 57344). */
        IEEE
    }

    private final int exponentBits;
    private final int mantissaBits;

    public MinifloatGrid(int exponentBits, int mantissaBits, Reserved reserved) {
        super("e" + exponentBits + "m" + mantissaBits, check(exponentBits, mantissaBits),
                levels(exponentBits, mantissaBits, reserved), valid(exponentBits, mantissaBits, reserved));
        this.exponentBits = exponentBits;
        this.mantissaBits = mantissaBits;
    }

    private static int check(int e, int m) {
        if (e < 1 || m < 0 || 1 + e + m > 8) throw new IllegalArgumentException("unsupported minifloat E" + e + "M" + m);
        return 1 + e + m;
    }

    /** The value of a positive code (sign bit clear): subnormal when the exponent field is 0. */
    public static double positiveValue(int e, int m, int code) {
        int bias = (1 << (e - 1)) - 1;
        int exp = code >>> m;
        int man = code & ((1 << m) - 1);
        double fraction = man / (double) (1 << m);
        return exp == 0 ? fraction * Math.pow(2, 1 - bias) : (1 + fraction) * Math.pow(2, exp - bias);
    }

    private static boolean isReserved(int e, int m, Reserved reserved, int magnitudeCode) {
        int exp = magnitudeCode >>> m;
        return switch (reserved) {
            case NONE -> false;
            case ALL_ONES_NAN -> magnitudeCode == (1 << (e + m)) - 1;
            case IEEE -> exp == (1 << e) - 1;
        };
    }

    private static boolean[] valid(int e, int m, Reserved reserved) {
        int half = 1 << (e + m);
        boolean[] v = new boolean[2 * half];
        for (int c = 0; c < half; c++) v[c] = v[c + half] = !isReserved(e, m, reserved, c);
        return v;
    }

    private static float[] levels(int e, int m, Reserved reserved) {
        int half = 1 << (e + m);
        double max = 0;
        for (int c = 0; c < half; c++) if (!isReserved(e, m, reserved, c)) max = Math.max(max, positiveValue(e, m, c));
        float[] l = new float[2 * half];
        for (int c = 0; c < half; c++) {
            // A reserved code is never written; its codebook entry repeats the largest finite value.
            float v = (float) (isReserved(e, m, reserved, c) ? max : positiveValue(e, m, c));
            l[c] = v;
            l[c + half] = -v;
        }
        return l;
    }

    public int exponentBits() {
        return exponentBits;
    }

    public int mantissaBits() {
        return mantissaBits;
    }

    /** The largest finite value. */
    public float maxValue() {
        return maxMagnitude();
    }

    @Override
    public GroupScale fit(float[] w, int off, int n, float shrink) {
        return new GroupScale(ScaleFormat.F16.round(absMax(w, off, n) * shrink / maxMagnitude()), 0f);
    }

    @Override
    public int nearest(float x) {
        // Round the magnitude on the positive codes (ordered like their values, so ties-to-even-code is
        // IEEE ties-to-even-mantissa), then apply the sign; zero is always the +0 code.
        int magnitude = super.nearest(Math.abs(x));
        if (x < 0 && level(magnitude) != 0) return magnitude | (1 << (exponentBits + mantissaBits));
        return magnitude;
    }
}
