package dev.lowbit.kernels;

import java.util.Arrays;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The lookup tables of one activation vector for one kind of weights (width, levels, input count).
 *
 * <p>Position p covers inputs a..a+g−1; its table holds, for each 4-bit index c (digit t = bits t·b..t·b+b−1 of
 * c is the code of input a+t), the partial sum Σ_t (level[digit_t] − mid)·x[a+t]. Centring the levels on
 * {@code mid} halves the range the int8 entries must cover; the exact remainder mid·Σx is added back in float
 * per block. Entries are quantized to int8 with one scale per block of 32 inputs and stored biased by +128 (as
 * unsigned bytes 1..255, which the kernel sums without sign extension), replicated four
 * times (64 bytes) so that a 512-bit byte permute with unmasked indices selects from the right 16 entries.
 */
public final class LutTables {
    // A table (16 entries) is one 512-bit float vector, or two 256-bit ones where AVX-512 is missing.
    private static final VectorSpecies<Float> F = VectorOps.WIDE ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> Q = F.length() == 16 ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
    private static final int PARTS = 16 / F.length();
    private static final float ROUNDER = 0x1.8p23f;
    /**
     * Largest table entry magnitude: 127 (int8). 7-bit entries would let the two lookups of a chunk be added as
     * bytes before widening, but measured on stories260K int4 they raised the KLD to fp32 by 15% (8-bit: 3%)
     * for no measurable speed-up once the kernel streams four tiles at once (docs/KERNELS.md).
     */
    static final float ENTRY_MAX = 127f;

    final byte[] tables;      // positions × 64, entry + 128
    final float[] blockScale; // int8 step per block
    final float[] blockBias;  // mid · Σx − 128 · positions · step per block: the float part, and the tables' bias removed
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
        return build(layout, levels, x, xOff, WorkerPool.SERIAL);
    }

    /** Blocks are independent: they are built in parallel on {@code pool}. */
    static LutTables build(LutLayout layout, float[] levels, float[] x, int xOff, WorkerPool pool) {
        return build(layout, levels, x, xOff, pool, new LutTables(layout.positions(), layout.blocks()));
    }

    /** Builds into {@code t}, whose arrays are reused from call to call (a decode step builds dozens of tables). */
    static LutTables build(LutLayout layout, float[] levels, float[] x, int xOff, WorkerPool pool, LutTables t) {
        int bits = layout.bits(), g = layout.inputsPerPosition(), mask = (1 << bits) - 1;
        float mid = mid(levels);
        // digit[d][c] = level of the d-th code in index c, centred: entries = Σ_d digit[d] · x[a + d] (in PARTS parts).
        FloatVector[] digit = new FloatVector[g * PARTS];
        for (int d = 0; d < g; d++) {
            float[] v = new float[16];
            for (int c = 0; c < 16; c++) v[c] = levels[(c >>> (d * bits)) & mask] - mid;
            for (int h = 0; h < PARTS; h++) digit[d * PARTS + h] = FloatVector.fromArray(F, v, h * F.length());
        }
        int[] firstPosition = new int[layout.blocks() + 1];
        for (int j = 0; j < layout.blocks(); j++) firstPosition[j + 1] = firstPosition[j] + layout.blockPositions(j);
        pool.parallelFor(layout.blocks(), 16, (from, to) -> {
            for (int j = from; j < to; j++) buildBlock(layout, t, digit, g, mid, x, xOff, j, firstPosition[j]);
        });
        return t;
    }

    private static void buildBlock(LutLayout layout, LutTables t, FloatVector[] digit, int g, float mid, float[] x, int xOff, int j, int first) {
        int pos = first;
        int a0 = xOff + j * LutLayout.BLOCK, n = layout.blockInputs(j);
        float sum = 0;
        for (int i = 0; i < n; i++) sum += x[a0 + i];
        FloatVector max = FloatVector.zero(F);
        for (int p = 0, np = layout.blockPositions(j); p < np; p++, pos++) {
            for (int h = 0; h < PARTS; h++) {
                FloatVector e = FloatVector.zero(F);
                for (int d = 0; d < g; d++) {
                    int input = p * g + d;
                    if (input < n) e = FloatVector.broadcast(F, x[a0 + input]).fma(digit[d * PARTS + h], e); // receivers of exact class: see LutMatrix
                }
                e.intoArray(t.exact, pos * 16 + h * F.length());
                max = e.abs().max(max);
            }
        }
        float m = max.reduceLanes(VectorOperators.MAX);
        float step = m == 0 ? 1f : m / ENTRY_MAX;
        FloatVector inverse = FloatVector.broadcast(F, 1f / step);
        for (int p = first; p < pos; p++) {
            for (int h = 0, at = 0; h < PARTS; h++, at += F.length()) {
                // Adding and removing 1.5·2^23 rounds |v| ≤ 127 to the nearest integer, ties to even (= Math.rint).
                ByteVector q = ((ByteVector) FloatVector.fromArray(F, t.exact, p * 16 + at).mul(inverse)
                        .add(ROUNDER).sub(ROUNDER).convertShape(VectorOperators.F2B, Q, 0)).lanewise(VectorOperators.XOR, (byte) 0x80);
                for (int r = 0; r < 4; r++) q.intoArray(t.tables, p * 64 + r * 16 + at);
            }
        }
        t.blockScale[j] = step;
        // The kernels sum biased entries (entry + 128); removing 128 per lookup here saves them a subtraction.
        t.blockBias[j] = mid * sum - 128f * layout.blockPositions(j) * step;
        t.blockSum[j] = sum;
    }

    /**
     * Remembers the tables of the last input, so that matrices reading the same vector (q, k, v; gate, up)
     * build them once. The input is compared by content, which costs far less than building tables.
     */
    static final class Cache {
        private float[] lastInput = new float[0];
        private LutTables last;
        private boolean valid;

        synchronized LutTables get(LutLayout layout, float[] levels, float[] x, int xOff, WorkerPool pool) {
            int n = layout.cols();
            if (valid && lastInput.length == n && Arrays.equals(lastInput, 0, n, x, xOff, xOff + n)) return last;
            if (last == null) last = new LutTables(layout.positions(), layout.blocks());
            valid = false; // a failed build must not leave half-written tables marked as current
            build(layout, levels, x, xOff, pool, last);
            valid = true;
            if (lastInput.length != n) lastInput = new float[n];
            System.arraycopy(x, xOff, lastInput, 0, n);
            return last;
        }
    }
}
