package dev.lowbit.kernels;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The lookup tables of one activation vector for table-lookup matrices of one {@link LutForm} (docs/KERNELS.md).
 *
 * <p>Position p covers inputs a..a+g−1; its table holds, for each 4-bit index c (digit t = bits t·b..t·b+b−1 of
 * c is the code of input a+t), the partial sum Σ_t (level[digit_t] − mid)·x[a+t]. Centring the levels on
 * {@code mid} halves the range the int8 entries must cover; the exact remainder mid·Σx is added back in float
 * per span. Entries are quantized to int8 with one scale per span (a block of 32 inputs, or two for 1- and 2-bit
 * codes: {@link LutLayout#spanBlocks}) and stored biased by +128 (as unsigned bytes 1..255, which the kernels sum
 * without sign extension). A table takes {@code stride} bytes: its 16 entries once (the 128-bit kernels'
 * {@code pshufb}), or four times (64 bytes) so that a 512-bit byte permute with unmasked indices selects from the
 * right 16 entries.
 */
public final class LutTables {
    // 16 floats per step with AVX-512, 8 with AVX2; narrower machines build the same entries one by one.
    private static final VectorSpecies<Float> F = VectorOps.WIDE ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    private static final boolean VECTOR = FloatVector.SPECIES_PREFERRED.vectorBitSize() >= 256;
    private static final VectorSpecies<Byte> Q = F.length() == 16 ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
    private static final int PARTS = 16 / F.length();
    private static final float BIASED_ROUNDER = 0x1.8p23f + 128;
    /** With 512-bit floats: byte j of a table takes the low byte of int lane j mod 16, i.e. the table four times. */
    private static final VectorShuffle<Byte> REPLICATE = VectorShuffle.fromOp(ByteVector.SPECIES_512, j -> 4 * (j % 16));
    /**
     * Largest table entry magnitude: 127 (int8). 7-bit entries would let the two lookups of a chunk be added as
     * bytes before widening, but measured on stories260K int4 they raised the KLD to fp32 by 15% (8-bit: 3%)
     * for no measurable speed-up once the kernel streams four tiles at once (docs/KERNELS.md).
     */
    static final float ENTRY_MAX = 127f;

    final int stride;        // bytes per table: 16, or 64 (four copies)
    final byte[] tables;     // positions × stride, entry + 128
    final float[] spanScale; // int8 step per span
    final float[] spanBias;  // mid · Σx − 128 · positions · step per span: the float part, and the tables' bias removed
    final float[] spanSum;   // Σx per span (for offsets)
    private final LutLayout layout;
    private final float mid, reach;
    private final float[] digit;       // digit[16·d + c] = level of the d-th code in index c, centred
    private final int[] spanStarts;    // first block of each span, then the number of blocks
    private final int[] firstPosition; // first position of each block, then the number of positions

    /** Empty tables for inputs of {@code layout}'s width and spans, with {@code levels}; {@link #build} fills them. */
    LutTables(LutLayout layout, float[] levels, int stride) {
        if (stride != 16 && stride != 64) throw new IllegalArgumentException("table stride " + stride);
        this.layout = layout;
        this.stride = stride;
        int bits = layout.bits(), g = layout.inputsPerPosition(), mask = (1 << bits) - 1;
        mid = mid(levels);
        reach = reach(levels, mid);
        digit = new float[16 * g];
        for (int d = 0; d < g; d++) {
            for (int c = 0; c < 16; c++) digit[16 * d + c] = levels[(c >>> (d * bits)) & mask] - mid;
        }
        spanStarts = layout.spanStarts();
        firstPosition = new int[layout.blocks() + 1];
        for (int j = 0; j < layout.blocks(); j++) firstPosition[j + 1] = firstPosition[j] + layout.blockPositions(j);
        tables = new byte[firstPosition[layout.blocks()] * stride];
        spanScale = new float[spanStarts.length - 1];
        spanBias = new float[spanStarts.length - 1];
        spanSum = new float[spanStarts.length - 1];
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

    /** Every combination of levels is an entry, so a position's largest |entry| is reach · Σ_d |x[a + d]|. */
    static float reach(float[] levels, float mid) {
        float reach = 0;
        for (float l : levels) reach = Math.max(reach, Math.abs(l - mid));
        return reach;
    }

    /** Tables of x for {@code layout} and {@code levels}, {@code stride} bytes a table, built on the caller. */
    static LutTables build(LutLayout layout, float[] levels, float[] x, int stride) {
        LutTables t = new LutTables(layout, levels, stride);
        t.build(x);
        return t;
    }

    /** Builds the tables of x[0 .. cols). */
    void build(float[] x) {
        if (x.length < layout.cols()) throw new IllegalArgumentException(x.length + " inputs, tables need " + layout.cols());
        for (int s = 0; s < spanScale.length; s++) buildSpan(x, s);
    }

    /**
     * One span's tables, in one pass: the int8 step comes from the inputs ({@code reach} · the largest Σ|x| of a
     * position) rather than from the largest computed entry, so the float entries need not be kept and read back.
     * With one input per position (4-bit codes) the two are the same float, rounding being monotonic; with more,
     * they may differ in the last bit, and an entry may then round to 127 from just above it. Built alone (2048 or
     * 8192 inputs in a loop), 4-bit tables took 6.9 ns per input the other way (a store and a reload per entry, a
     * float max and a single chain of adds, each loop-carried), 3.7–4.1 ns this way; 2-bit ones 4.7 → 3.9–4.5 ns
     * (docs/KERNELS.md has later figures). A span's blocks are full but for a row's last one, so its positions
     * cover its inputs in order, g at a time, and it is built as one run: built block by block, 4-bit tables took
     * twice as long.
     */
    private void buildSpan(float[] x, int span) {
        int g = layout.inputsPerPosition();
        int fromBlock = spanStarts[span], toBlock = spanStarts[span + 1];
        int a0 = fromBlock * LutLayout.BLOCK, n = Math.min(toBlock * LutLayout.BLOCK, layout.cols()) - fromBlock * LutLayout.BLOCK;
        int positions = firstPosition[toBlock] - firstPosition[fromBlock], first = firstPosition[fromBlock];
        // Four partial sums: one chain of 32 dependent adds was a large part of the block's time.
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 4 <= n; i += 4) {
            s0 += x[a0 + i];
            s1 += x[a0 + i + 1];
            s2 += x[a0 + i + 2];
            s3 += x[a0 + i + 3];
        }
        for (; i < n; i++) s0 += x[a0 + i];
        float sum = (s0 + s1) + (s2 + s3);
        // Bits of the largest Σ|x| of a position: non-negative floats order as their bits do, and an int max is one
        // instruction where Java's float max (NaN, signed zeros) is several.
        int largest = 0;
        if (g == 1 && n % 16 == 0 && F.length() == 16) { // an int max is exact in any order
            IntVector m = IntVector.zero(IntVector.SPECIES_512);
            for (i = 0; i < n; i += 16) m = FloatVector.fromArray(F, x, a0 + i).reinterpretAsInts().and(0x7FFFFFFF).max(m);
            largest = m.reduceLanes(VectorOperators.MAX);
        } else if (g == 1) { // the general loop below, for one input per position: 5.3–5.4 ns per input built alone, not 3.7–4.1
            for (i = 0; i < n; i++) largest = Math.max(largest, Float.floatToRawIntBits(x[a0 + i]) & 0x7FFFFFFF);
        } else {
            for (int p = 0; p < positions; p++) {
                float a = 0;
                for (int d = 0, input = p * g; d < g && input < n; d++, input++) a += Math.abs(x[a0 + input]);
                largest = Math.max(largest, Float.floatToRawIntBits(a));
            }
        }
        float step = reach * Float.intBitsToFloat(largest) / ENTRY_MAX;
        if (!(step >= Float.MIN_NORMAL)) step = 1f; // all zero, or so small that 1/step would overflow: entries 0
        if (VECTOR) writeEntries(x, a0, n, first, positions, step);
        else writeEntriesScalar(x, a0, n, first, positions, step);
        spanScale[span] = step;
        // The kernels sum biased entries (entry + 128); removing 128 per lookup here saves them a subtraction.
        spanBias[span] = mid * sum - 128f * positions * step;
        spanSum[span] = sum;
    }

    /**
     * The int8 entries of positions first.. of a span: entry = Σ_d x[a0 + p·g + d] · digit, as fused multiply-adds
     * in d order. Adding 1.5·2^23 + 128 rounds |v| ≤ 127 to an integer, ties to even (= Math.rint), and leaves
     * v + 128 in the low byte of the float's bits: the biased entry, taken by a truncating int-to-byte conversion.
     */
    private void writeEntries(float[] x, int a0, int n, int first, int positions, float step) {
        int g = layout.inputsPerPosition();
        FloatVector inverse = FloatVector.broadcast(F, 1f / step);
        for (int p = 0; p < positions; p++) {
            for (int h = 0, at = (first + p) * stride; h < PARTS; h++, at += F.length()) {
                FloatVector e = FloatVector.zero(F);
                for (int d = 0; d < g; d++) {
                    int input = p * g + d;
                    if (input < n) e = FloatVector.broadcast(F, x[a0 + input]).fma(FloatVector.fromArray(F, digit, 16 * d + h * F.length()), e); // receivers of exact class: docs/KERNELS.md, "What C2 needs"
                }
                FloatVector biased = inverse.mul(e).add(BIASED_ROUNDER);
                if (F.length() == 16 && stride == 64) { // one permute and one 64-byte store instead of a narrowing and four stores
                    biased.reinterpretAsBytes().rearrange(REPLICATE).intoArray(tables, at);
                } else {
                    ByteVector q = (ByteVector) biased.reinterpretAsInts().convertShape(VectorOperators.I2B, Q, 0);
                    for (int k = 0; k < stride; k += 16) q.intoArray(tables, at + k);
                }
            }
        }
    }

    /** {@link #writeEntries} one entry at a time, for machines without 256-bit vectors: the same bytes. */
    private void writeEntriesScalar(float[] x, int a0, int n, int first, int positions, float step) {
        int g = layout.inputsPerPosition();
        float inverse = 1f / step;
        for (int p = 0; p < positions; p++) {
            for (int c = 0; c < 16; c++) {
                float e = 0;
                for (int d = 0; d < g; d++) {
                    int input = p * g + d;
                    if (input < n) e = Math.fma(x[a0 + input], digit[16 * d + c], e);
                }
                byte biased = (byte) Float.floatToRawIntBits(inverse * e + BIASED_ROUNDER);
                for (int k = 0; k < stride; k += 16) tables[(first + p) * stride + k + c] = biased;
            }
        }
    }
}
