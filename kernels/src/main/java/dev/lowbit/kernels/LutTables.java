package dev.lowbit.kernels;

import java.util.Arrays;

/**
 * The lookup tables of one activation vector for one kind of weights (width, levels, input count).
 *
 * <p>Position p covers inputs a..a+g−1; its table holds, for each 4-bit index c (digit t = bits t·b..t·b+b−1 of
 * c is the code of input a+t), the partial sum Σ_t (level[digit_t] − mid)·x[a+t]. Centring the levels on
 * {@code mid} halves the range the int8 entries must cover; the exact remainder mid·Σx is added back in float
 * per block. Entries are quantized to int8 with one scale per block of 32 inputs, and stored replicated four
 * times (64 bytes) so that a 512-bit byte permute with unmasked indices selects from the right 16 entries.
 */
public final class LutTables {
    final byte[] tables;      // positions × 64
    final float[] blockScale; // int8 step per block
    final float[] blockBias;  // mid · Σx per block
    final float[] blockSum;   // Σx per block (for offsets)
    final float[] exact;      // the float entries, positions × 16 (for the scalar reference and tests)

    private LutTables(int positions, int blocks) {
        tables = new byte[positions * 64];
        exact = new float[positions * 16];
        blockScale = new float[blocks];
        blockBias = new float[blocks];
        blockSum = new float[blocks];
    }

    /** Midpoint of the levels' range: the value the tables are centred on. */
    static float mid(float[] levels) {
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (float l : levels) {
            lo = Math.min(lo, l);
            hi = Math.max(hi, l);
        }
        return (lo + hi) / 2;
    }

    static LutTables build(LutLayout layout, float[] levels, float[] x, int xOff) {
        int bits = layout.bits(), g = layout.inputsPerPosition(), mask = (1 << bits) - 1;
        float mid = mid(levels);
        LutTables t = new LutTables(layout.positions(), layout.blocks());
        float[] entries = new float[16];
        int pos = 0;
        for (int j = 0; j < layout.blocks(); j++) {
            int a0 = j * LutLayout.BLOCK, n = layout.blockInputs(j), first = pos;
            float max = 0, sum = 0;
            for (int i = 0; i < n; i++) sum += x[xOff + a0 + i];
            for (int p = 0; p < layout.blockPositions(j); p++, pos++) {
                for (int c = 0; c < 16; c++) {
                    float e = 0;
                    for (int d = 0; d < g; d++) {
                        int input = p * g + d;
                        if (input < n) e += (levels[(c >>> (d * bits)) & mask] - mid) * x[xOff + a0 + input];
                    }
                    entries[c] = e;
                    max = Math.max(max, Math.abs(e));
                }
                System.arraycopy(entries, 0, t.exact, pos * 16, 16);
            }
            float step = max == 0 ? 1f : max / 127f;
            for (int p = first; p < pos; p++) {
                for (int c = 0; c < 16; c++) {
                    byte q = (byte) Math.rint(t.exact[p * 16 + c] / step);
                    for (int r = 0; r < 4; r++) t.tables[p * 64 + r * 16 + c] = q;
                }
            }
            t.blockScale[j] = step;
            t.blockBias[j] = mid * sum;
            t.blockSum[j] = sum;
        }
        return t;
    }

    /**
     * Remembers the tables of the last input, so that matrices reading the same vector (q, k, v; gate, up)
     * build them once. The input is compared by content, which costs far less than building tables.
     */
    static final class Cache {
        private float[] lastInput = new float[0];
        private LutTables last;

        synchronized LutTables get(LutLayout layout, float[] levels, float[] x, int xOff) {
            int n = layout.cols();
            if (last != null && lastInput.length == n && Arrays.equals(lastInput, 0, n, x, xOff, xOff + n)) return last;
            last = build(layout, levels, x, xOff);
            if (lastInput.length != n) lastInput = new float[n];
            System.arraycopy(x, xOff, lastInput, 0, n);
            return last;
        }
    }
}
