package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The AVX2 GEMV of 4-bit codes whose levels are evenly spaced (integer grids, and the 4-bit passes of split
 * codes): as ggml's Q4_0 · Q8_0 dot product, it multiplies codes with the input quantized to 8 bits
 * ({@link Q8Input}) instead of looking partial sums up, reading the {@code lut64s} tiles as they are stored. On
 * AVX2 the Vector API has no in-lane 256-bit byte permute, so a lookup handles 16 rows and a multiply of shorts
 * 16 as well, but the multiply needs no index masking, widening or table loads: fewer instructions per weight,
 * and a more exact input (docs/KERNELS.md, "The dot-product kernel").
 *
 * <p>A batch (prefill) runs the same loop two tokens at a time ({@link #prefill}), each chunk's codes unpacked once
 * for both: every token's outputs equal its own GEMV's bit for bit, so these matrices give the same products in a
 * prompt's batch as token by token.
 *
 * <p>A 64-byte chunk (two positions of 64 rows) is read as two halves of 16 ints; short j of half h holds row
 * 16h + j in its low byte and row 32 + 16h + j in its high byte, each byte two codes. Shifting the ints by 0, 4, 8,
 * 12 and masking with 0x000F000F gives four vectors of 16 codes c (0..15) as shorts, each multiplied with the
 * broadcast input of its position and added into one of four accumulators of 16 rows. Shorts wrap: over a block
 * of 32 inputs the accumulator holds Σ q·c mod 2^16, and Σ q·(c − 8), what the flush takes, lies within
 * ±32 · 127 · 8 = ±32512, so subtracting 8·Σq and reading the result as a short gives it exactly.
 */
final class LutDotAvx2Kernel implements LutKernel {
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    /** Loaded from an array, not broadcast from a constant, so C2 keeps it in a register instead of reloading it at each use. */
    private static final int[] NIBBLE = {0xF000F, 0xF000F, 0xF000F, 0xF000F, 0xF000F, 0xF000F, 0xF000F, 0xF000F};

    /** A thread's scratch for a unit: the outputs of its tiles, one tile's sums and scales. */
    private static final class Scratch {
        final float[] out = new float[TILES * LutLayout.TILE];
        final short[] acc = new short[LutLayout.TILE];
        final int[] scales = new int[LutLayout.TILE / 2]; // one group's f16 scales, two per int
    }
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    private static final int TILES = 4;
    /** Tiles read side by side: two weight streams per thread (docs/KERNELS.md, "The dot-product kernel"). */
    private static final int SIDE = 2;

    @Override public String name() { return "avx2-dot"; }
    @Override public int tilesPerUnit() { return TILES; }
    @Override public LutKernel reference() { return LutKernels.DOT_SCALAR; }

    /** Codes it does not take run on the lookup kernel. */
    @Override
    public LutKernel forMatrix(LutLayout layout, float[] levels) {
        return supports(layout, levels) ? this : LutKernels.AVX2.forMatrix(layout, levels);
    }

    @Override
    public InputForm inputForm(LutLayout layout, float[] levels) {
        return new Q8Input.Form(layout.cols());
    }

    /** A batch (prefill) two tokens at a time ({@link DotPrefill}); each token's outputs are those of its own GEMV, bit for bit. */
    @Override
    public void prefill(LutMatrix m, float[] x, float[] y, int batch, WorkerPool pool) {
        LutGeometry g = m.geometry();
        boolean offsets = m.layout().hasOffsets();
        float step = step(m.levelsView()), centre = centre(m.levelsView(), step);
        DotPrefill.run(m, x, y, batch, pool, 127, LutDotAvx2Kernel::rowOf,
                (part, tile, first, second, acc, out) -> gemvTwoTokens(g, part, tile, first, second, step, centre, offsets, acc, out));
    }

    /** 4-bit codes, f16 scales, levels l0 + step · c with step ≠ 0. */
    static boolean supports(LutLayout layout, float[] levels) {
        float step = step(levels);
        return layout.bits() == 4 && layout.scaleFormat() == ScaleFormat.F16 && Float.isFinite(step) && step != 0;
    }

    /** The spacing of evenly spaced levels; NaN when they are not. */
    static float step(float[] levels) {
        float step = levels[1] - levels[0];
        for (int c = 0; c < levels.length; c++) if (levels[c] != levels[0] + step * c) return Float.NaN;
        return step;
    }

    /** The level of code 8, which the integer sums are centred on. */
    static float centre(float[] levels, float step) {
        return levels[0] + 8 * step;
    }

    /**
     * The unit's tiles two by two, each pair side by side, block by block (the first tile's block of 32 inputs,
     * then the second's): two streams of weights in flight instead of one, which DRAM serves faster.
     */
    @Override
    public void gemv(LutMatrix m, int firstTile, int part, PreparedInput prepared, float[] y, int yOff) {
        Scratch s = SCRATCH.get();
        Q8Input in = (Q8Input) prepared;
        LutLayout layout = m.layout();
        LutGeometry g = m.geometry();
        long address = m.address();
        float step = step(m.levelsView()), centre = centre(m.levelsView(), step);
        int tiles = Math.min(TILES, layout.tiles() - firstTile);
        float[] out = s.out;
        java.util.Arrays.fill(out, 0f);
        for (int t0 = 0; t0 < tiles; t0 += SIDE) {
            gemvSideBySide(g, part, address + (firstTile + t0) * g.tileBytes, Math.min(SIDE, tiles - t0), in, step, centre, layout.hasOffsets(), s, t0 * LutLayout.TILE);
        }
        for (int t = 0; t < tiles; t++) {
            int r0 = (firstTile + t) * LutLayout.TILE, rows = Math.min(LutLayout.TILE, layout.rows() - r0);
            for (int p = 0; p < LutLayout.TILE; p++) {
                int r = rowOf(p);
                if (r < rows) y[yOff + r0 + r] = out[t * LutLayout.TILE + p];
            }
        }
    }

    /**
     * {@code tiles} tiles from {@code base}, block by block (the first tile's block of 32 inputs, then the second's),
     * each block's sums flushed at once: one compiled loop nest per pair of tiles, so the checks and set-up of a call
     * are paid per part, not per block.
     */
    private static void gemvSideBySide(LutGeometry g, int part, long base, int tiles, Q8Input in, float step, float centre,
                                       boolean offsets, Scratch s, int outAt) {
        MemorySegment data = WeightMemory.EVERYWHERE; // docs/KERNELS.md, "What C2 needs"
        IntVector nibble = IntVector.fromArray(I, NIBBLE, 0);
        ShortVector zero = ShortVector.zero(S);
        short[] q = in.q, acc = s.acc;
        for (int k = g.partGroups[part], endGroup = g.partGroups[part + 1]; k < endGroup; k++) {
            long chunks = g.chunkOffset[k];
            for (int j = g.groupBlocks[k], endBlock = g.groupBlocks[k + 1]; j < endBlock; j++) {
                int count = g.blockPositions[j] / 2, i0 = j * Q8Input.BLOCK;
                float a = step * in.scale[j], c = centre * in.scale[j] * in.sum[j];
                short bias = (short) (8 * in.sum[j]);
                for (int t = 0; t < tiles; t++) {
                    long tile = base + t * g.tileBytes, at = tile + chunks;
                    ShortVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
                    for (int ch = 0; ch < count; ch++) { // a counted loop over an int: C2 then drops the bounds checks from it
                        int i = i0 + 2 * ch;
                        long o = at + (long) ch * LutLayout.TILE;
                        ShortVector xe = ShortVector.broadcast(S, q[i]), xo = ShortVector.broadcast(S, q[i + 1]);
                        IntVector h0 = IntVector.fromMemorySegment(I, data, o, ByteOrder.LITTLE_ENDIAN);
                        IntVector h1 = IntVector.fromMemorySegment(I, data, o + 32, ByteOrder.LITTLE_ENDIAN);
                        // The accumulators are arguments, never receivers (docs/KERNELS.md, "What C2 needs").
                        a0 = h0.and(nibble).reinterpretAsShorts().mul(xe)
                                .add(h0.lanewise(VectorOperators.LSHR, 4).and(nibble).reinterpretAsShorts().mul(xo)).add(a0);
                        a1 = h0.lanewise(VectorOperators.LSHR, 8).and(nibble).reinterpretAsShorts().mul(xe)
                                .add(h0.lanewise(VectorOperators.LSHR, 12).and(nibble).reinterpretAsShorts().mul(xo)).add(a1);
                        a2 = h1.and(nibble).reinterpretAsShorts().mul(xe)
                                .add(h1.lanewise(VectorOperators.LSHR, 4).and(nibble).reinterpretAsShorts().mul(xo)).add(a2);
                        a3 = h1.lanewise(VectorOperators.LSHR, 8).and(nibble).reinterpretAsShorts().mul(xe)
                                .add(h1.lanewise(VectorOperators.LSHR, 12).and(nibble).reinterpretAsShorts().mul(xo)).add(a3);
                    }
                    // Stored as zero + sum: the store's receiver then has an exact class (docs/KERNELS.md, "What C2 needs").
                    zero.add(a0).intoArray(acc, 0);
                    zero.add(a2).intoArray(acc, 16);
                    zero.add(a1).intoArray(acc, 32);
                    zero.add(a3).intoArray(acc, 48);
                    scaleAndAdd(acc, bias, a, c, tile + g.metaOffset[k], s.scales, s.out, outAt + t * LutLayout.TILE);
                    if (offsets) flushOffsets(in.floatSum[j], tile + g.metaOffset[k], s.out, outAt + t * LutLayout.TILE);
                }
                chunks += (long) count * LutLayout.TILE;
            }
        }
    }

    /**
     * One tile's part for two tokens: {@link #gemvSideBySide}'s loop with each chunk's code vectors multiplied by
     * both tokens' inputs, then each token's sums flushed as there. Outputs of the first token at
     * out[0..64), of the second at out[64..128).
     */
    private static void gemvTwoTokens(LutGeometry g, int part, long tile, Q8Input in0, Q8Input in1, float step, float centre,
                                      boolean offsets, short[] acc, float[] out) {
        short[] q0 = in0.q, q1 = in1.q;
        for (int k = g.partGroups[part], endGroup = g.partGroups[part + 1]; k < endGroup; k++) {
            long at = tile + g.chunkOffset[k];
            for (int j = g.groupBlocks[k], endBlock = g.groupBlocks[k + 1]; j < endBlock; j++) {
                int count = g.blockPositions[j] / 2, i0 = j * Q8Input.BLOCK;
                // Each half of the chunks (32 bytes: 32 rows, two positions) in a loop of its own: four accumulators, not eight,
                // so that none is spilled from AVX2's 16 registers. In a method of its own: as a loop over the two
                // halves inside this one, C2 boxed the vectors.
                gemvHalfTwoTokens(at, count, q0, q1, i0, acc, 0);
                gemvHalfTwoTokens(at + 32, count, q0, q1, i0, acc, 16);
                long meta = tile + g.metaOffset[k];
                flushTwoTokens(acc, (short) (8 * in0.sum[j]), step * in0.scale[j], centre * in0.scale[j] * in0.sum[j],
                        (short) (8 * in1.sum[j]), step * in1.scale[j], centre * in1.scale[j] * in1.sum[j], meta, out);
                if (offsets) {
                    flushOffsets(in0.floatSum[j], meta, out, 0);
                    flushOffsets(in1.floatSum[j], meta, out, LutLayout.TILE);
                }
                at += (long) count * LutLayout.TILE;
            }
        }
    }

    /**
     * One half of a block's chunks for two tokens: the 32 bytes at {@code from} + 64·ch, read as 16 shorts, hold 16 rows
     * in their low bytes and the 16 rows 32 further in their high bytes. Sums of the first token to acc[at..at+16) and
     * acc[32+at..), of the second 64 further.
     */
    private static void gemvHalfTwoTokens(long from, int count, short[] q0, short[] q1, int i0, short[] acc, int at) {
        MemorySegment data = WeightMemory.EVERYWHERE;
        IntVector nibble = IntVector.fromArray(I, NIBBLE, 0);
        ShortVector zero = ShortVector.zero(S), a0 = zero, a1 = zero, b0 = zero, b1 = zero;
        for (int ch = 0; ch < count; ch++) {
            int i = i0 + 2 * ch;
            ShortVector xe = ShortVector.broadcast(S, q0[i]), xo = ShortVector.broadcast(S, q0[i + 1]);
            ShortVector ye = ShortVector.broadcast(S, q1[i]), yo = ShortVector.broadcast(S, q1[i + 1]);
            IntVector h = IntVector.fromMemorySegment(I, data, from + (long) ch * LutLayout.TILE, ByteOrder.LITTLE_ENDIAN);
            ShortVector c0 = h.and(nibble).reinterpretAsShorts(), c1 = h.lanewise(VectorOperators.LSHR, 4).and(nibble).reinterpretAsShorts();
            a0 = c0.mul(xe).add(c1.mul(xo)).add(a0);
            b0 = c0.mul(ye).add(c1.mul(yo)).add(b0);
            ShortVector c2 = h.lanewise(VectorOperators.LSHR, 8).and(nibble).reinterpretAsShorts(), c3 = h.lanewise(VectorOperators.LSHR, 12).and(nibble).reinterpretAsShorts();
            a1 = c2.mul(xe).add(c3.mul(xo)).add(a1);
            b1 = c2.mul(ye).add(c3.mul(yo)).add(b1);
        }
        zero.add(a0).intoArray(acc, at);
        zero.add(a1).intoArray(acc, 32 + at);
        zero.add(b0).intoArray(acc, LutLayout.TILE + at);
        zero.add(b1).intoArray(acc, LutLayout.TILE + 32 + at);
    }

    /**
     * out = scale · (D · a + c) + out with D = (short) (acc − bias), as {@link LutDotScalarKernel}, for the tile's 64
     * rows. Each 16 sums of a 16-row group are read as 8 ints: the low halves are the even rows, the high halves the odd
     * ones, and the rows' f16 scales, read the same way, fall into the same order; so out holds each 16-row group as its
     * 8 even rows, then its 8 odd ones ({@link #rowOf}), and nothing is permuted or widened part by part (a
     * {@code convertShape} of the upper half costs C2 six instructions on AVX2). The scales are first copied to an
     * array: over an array index C2 guards the loop with a few instructions, over a long segment offset with more than
     * the loop has; and the loop written out four times was too large for C2 to inline its vector operations (boxed).
     */
    private static void scaleAndAdd(short[] acc, short bias, float a, float c, long metaAt, int[] scales, float[] out, int outAt) {
        MemorySegment data = WeightMemory.EVERYWHERE;
        IntVector.fromMemorySegment(I, data, metaAt, ByteOrder.LITTLE_ENDIAN).intoArray(scales, 0);
        IntVector.fromMemorySegment(I, data, metaAt + 32, ByteOrder.LITTLE_ENDIAN).intoArray(scales, 8);
        IntVector.fromMemorySegment(I, data, metaAt + 64, ByteOrder.LITTLE_ENDIAN).intoArray(scales, 16);
        IntVector.fromMemorySegment(I, data, metaAt + 96, ByteOrder.LITTLE_ENDIAN).intoArray(scales, 24);
        FloatVector av = FloatVector.broadcast(F, a), cv = FloatVector.broadcast(F, c);
        ShortVector b = ShortVector.broadcast(S, bias);
        for (int q = 0; q < 4; q++) {
            IntVector d = ShortVector.fromArray(S, acc, 16 * q).sub(b).reinterpretAsInts(), s = IntVector.fromArray(I, scales, 8 * q);
            int at = outAt + 16 * q;
            low(d).fma(av, cv).fma(lowF16(s), FloatVector.fromArray(F, out, at)).intoArray(out, at);
            high(d).fma(av, cv).fma(highF16(s), FloatVector.fromArray(F, out, at + 8)).intoArray(out, at + 8);
        }
    }

    /**
     * {@link #scaleAndAdd} for two tokens at once (sums at acc[0..64) and acc[64..128), outputs likewise), each by the
     * same operations in the same order; the weights' scales are decoded once for both.
     */
    private static void flushTwoTokens(short[] acc, short bias0, float a0, float c0, short bias1, float a1, float c1, long metaAt, float[] out) {
        MemorySegment data = WeightMemory.EVERYWHERE;
        FloatVector av0 = FloatVector.broadcast(F, a0), cv0 = FloatVector.broadcast(F, c0);
        FloatVector av1 = FloatVector.broadcast(F, a1), cv1 = FloatVector.broadcast(F, c1);
        ShortVector b0 = ShortVector.broadcast(S, bias0), b1 = ShortVector.broadcast(S, bias1);
        for (int q = 0; q < 4; q++) {
            IntVector s = IntVector.fromMemorySegment(I, data, metaAt + 32L * q, ByteOrder.LITTLE_ENDIAN);
            FloatVector low = lowF16(s), high = highF16(s);
            int at = 16 * q;
            IntVector d = ShortVector.fromArray(S, acc, at).sub(b0).reinterpretAsInts();
            low(d).fma(av0, cv0).fma(low, FloatVector.fromArray(F, out, at)).intoArray(out, at);
            high(d).fma(av0, cv0).fma(high, FloatVector.fromArray(F, out, at + 8)).intoArray(out, at + 8);
            IntVector e = ShortVector.fromArray(S, acc, LutLayout.TILE + at).sub(b1).reinterpretAsInts();
            low(e).fma(av1, cv1).fma(low, FloatVector.fromArray(F, out, LutLayout.TILE + at)).intoArray(out, LutLayout.TILE + at);
            high(e).fma(av1, cv1).fma(high, FloatVector.fromArray(F, out, LutLayout.TILE + at + 8)).intoArray(out, LutLayout.TILE + at + 8);
        }
    }

    /** Then out = offset · Σx + out with the group's f16 offsets, which follow its scales; rows in {@link #scaleAndAdd}'s order. */
    private static void flushOffsets(float sum, long metaAt, float[] out, int outAt) {
        MemorySegment data = WeightMemory.EVERYWHERE;
        FloatVector sv = FloatVector.broadcast(F, sum);
        for (int q = 0; q < 4; q++) {
            IntVector o = IntVector.fromMemorySegment(I, data, metaAt + 128 + 32L * q, ByteOrder.LITTLE_ENDIAN);
            lowF16(o).fma(sv, FloatVector.fromArray(F, out, outAt + 16 * q)).intoArray(out, outAt + 16 * q);
            highF16(o).fma(sv, FloatVector.fromArray(F, out, outAt + 16 * q + 8)).intoArray(out, outAt + 16 * q + 8);
        }
    }

    /** The low shorts of the ints, sign-extended, as floats (exact: |D| ≤ 32512). */
    private static FloatVector low(IntVector d) {
        return d.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
    }

    private static FloatVector high(IntVector d) {
        return d.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats();
    }

    /** The f16 values in the ints' low halves as floats: moved up, then as {@link ScaleFormat#f16Bits} (sign in bit 31, the rest at float positions). */
    private static FloatVector lowF16(IntVector h) {
        return h.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f);
    }

    private static FloatVector highF16(IntVector h) {
        return h.lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f);
    }

    /** The row whose sum {@link #scaleAndAdd} leaves at position p of a tile's outputs. */
    static int rowOf(int p) {
        return (p & ~15) | (p & 7) << 1 | (p >> 3 & 1);
    }
}
