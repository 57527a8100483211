package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The AVX2 GEMV of 4-bit codes whose levels are small integer multiples of one unit but not evenly spaced (E2M1:
 * levels / 0.5 are 0, ±1, ±2, ±3, ±4, ±6, ±8, ±12): each code becomes its integer level by a 16-byte table lookup
 * (one {@code pshufb}, as ggml's IQ4_NL and MXFP4 dot products do), which is multiplied with the input quantized
 * to 8 bits ({@link Q8Input}) in 16-bit lanes. Against the table-lookup kernel this takes one table for all
 * positions instead of one per position, and no biased sums.
 *
 * <p>A 64-byte chunk (two positions of 64 rows) is read as four 16-byte pieces, as {@link LutAvx2Kernel} reads it:
 * byte j of piece q is row 8q + j/2 (even j) or 32 + 8q + j/2 (odd j), its low nibble the even position's code and
 * its high nibble the odd one's. The levels, sign-extended to 16 shorts, are multiplied with the broadcast input of
 * their position and added into one accumulator per piece. The input is quantized to ±{@link #INPUT_MAX} so that a
 * block's sum, at most 32 · 85 · 12 = 32640 in magnitude, is exact in a short. Read as ints, an accumulator's low
 * halves are rows 8q..8q+7 and its high halves rows 32+8q..32+8q+7, in row order.
 *
 * <p>A batch (prefill) runs the same loop two tokens at a time ({@link DotPrefill}), each piece's levels looked up
 * once for both; every token's outputs equal its own GEMV's bit for bit.
 */
final class LutLevelDotAvx2Kernel implements LutKernel {
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Short> H = ShortVector.SPECIES_128; // 8 f16 scales
    /** Largest |integer level|, and the input's largest |q|: 32 · 85 · 12 ≤ 32767. */
    static final int LARGEST_LEVEL = 12, INPUT_MAX = 85;

    /** A thread's scratch for one tile: its outputs, its sums, the matrix's integer levels. */
    private static final class Scratch {
        final float[] out = new float[LutLayout.TILE];
        final short[] acc = new short[LutLayout.TILE];
        final byte[] levels = new byte[16];
    }
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override public String name() { return "avx2-level-dot"; }
    @Override public int tilesPerUnit() { return 4; }
    @Override public LutKernel reference() { return LutKernels.DOT_SCALAR; }

    @Override
    public LutKernel forMatrix(LutLayout layout, float[] levels) {
        return supports(layout, levels) ? this : LutKernels.AVX2.forMatrix(layout, levels);
    }

    @Override
    public InputForm inputForm(LutLayout layout, float[] levels) {
        return new Q8Input.Form(layout.cols(), INPUT_MAX);
    }

    /** A batch (prefill) two tokens at a time ({@link DotPrefill}); each token's outputs are those of its own GEMV, bit for bit. */
    @Override
    public void prefill(LutMatrix m, float[] x, float[] y, int batch, WorkerPool pool) {
        LutGeometry g = m.geometry();
        byte[] table = new byte[16];
        integerLevels(m.levelsView(), table);
        float unit = unit(m.levelsView());
        DotPrefill.run(m, x, y, batch, pool, INPUT_MAX, p -> p,
                (part, tile, first, second, acc, out) -> gemvTwoTokens(g, part, tile, first, second, table, unit, acc, out));
    }

    /** 4-bit codes, f16 scales, no offsets, levels = unit · k with integers |k| ≤ 12, not evenly spaced. */
    static boolean supports(LutLayout layout, float[] levels) {
        return layout.bits() == 4 && layout.scaleFormat() == ScaleFormat.F16 && !layout.hasOffsets()
                && Float.isNaN(LutDotAvx2Kernel.step(levels)) && integerLevels(levels, new byte[16]);
    }

    /** The smallest nonzero |level|, which the others are integer multiples of (at most 12); 0 when there is none. */
    static float unit(float[] levels) {
        float unit = Float.POSITIVE_INFINITY;
        for (float l : levels) if (l != 0 && Math.abs(l) < unit) unit = Math.abs(l);
        return Float.isFinite(unit) ? unit : 0;
    }

    /** The 16 levels as integers of {@link #unit}, into k; false when they are not such small integers. */
    static boolean integerLevels(float[] levels, byte[] k) {
        float unit = unit(levels);
        if (unit == 0 || levels.length != 16) return false;
        for (int c = 0; c < 16; c++) {
            float q = levels[c] / unit;
            if (q != Math.rint(q) || Math.abs(q) > LARGEST_LEVEL || levels[c] != (float) Math.rint(q) * unit) return false;
            k[c] = (byte) q;
        }
        return true;
    }

    @Override
    public void gemv(LutMatrix m, int firstTile, int part, PreparedInput prepared, float[] y, int yOff) {
        Scratch s = SCRATCH.get();
        Q8Input in = (Q8Input) prepared;
        LutLayout layout = m.layout();
        integerLevels(m.levelsView(), s.levels); // 16 divisions into the thread's array: no allocation per unit
        float unit = unit(m.levelsView());
        int end = Math.min(firstTile + tilesPerUnit(), layout.tiles());
        for (int tile = firstTile; tile < end; tile++) {
            gemvTile(m.address(), m.geometry(), tile, part, in, s.levels, unit, s);
            int r0 = tile * LutLayout.TILE;
            System.arraycopy(s.out, 0, y, yOff + r0, Math.min(LutLayout.TILE, layout.rows() - r0));
        }
    }

    private static void gemvTile(long address, LutGeometry g, int tile, int part, Q8Input in, byte[] table, float unit, Scratch s) {
        long base = address + tile * g.tileBytes;
        MemorySegment data = WeightMemory.EVERYWHERE; // docs/KERNELS.md, "What C2 needs"
        ByteVector levels = ByteVector.fromArray(B, table, 0);
        ShortVector zero = ShortVector.zero(S);
        short[] q = in.q, acc = s.acc;
        java.util.Arrays.fill(s.out, 0f);
        for (int k = g.partGroups[part], endGroup = g.partGroups[part + 1]; k < endGroup; k++) {
            long at = base + g.chunkOffset[k];
            for (int j = g.groupBlocks[k], endBlock = g.groupBlocks[k + 1]; j < endBlock; j++) {
                int count = g.blockPositions[j] / 2, i0 = j * Q8Input.BLOCK;
                ShortVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
                for (int c = 0; c < count; c++) { // a counted loop over an int: C2 then drops the bounds checks from it
                    int i = i0 + 2 * c;
                    long o = at + (long) c * LutLayout.TILE;
                    ShortVector xe = ShortVector.broadcast(S, q[i]), xo = ShortVector.broadcast(S, q[i + 1]);
                    ByteVector p0 = ByteVector.fromMemorySegment(B, data, o, ByteOrder.LITTLE_ENDIAN);
                    ByteVector p1 = ByteVector.fromMemorySegment(B, data, o + 16, ByteOrder.LITTLE_ENDIAN);
                    ByteVector p2 = ByteVector.fromMemorySegment(B, data, o + 32, ByteOrder.LITTLE_ENDIAN);
                    ByteVector p3 = ByteVector.fromMemorySegment(B, data, o + 48, ByteOrder.LITTLE_ENDIAN);
                    a0 = ((ShortVector) p0.selectFrom(levels).convertShape(VectorOperators.B2S, S, 0)).mul(xe)
                            .add(((ShortVector) high(p0).selectFrom(levels).convertShape(VectorOperators.B2S, S, 0)).mul(xo)).add(a0);
                    a1 = ((ShortVector) p1.selectFrom(levels).convertShape(VectorOperators.B2S, S, 0)).mul(xe)
                            .add(((ShortVector) high(p1).selectFrom(levels).convertShape(VectorOperators.B2S, S, 0)).mul(xo)).add(a1);
                    a2 = ((ShortVector) p2.selectFrom(levels).convertShape(VectorOperators.B2S, S, 0)).mul(xe)
                            .add(((ShortVector) high(p2).selectFrom(levels).convertShape(VectorOperators.B2S, S, 0)).mul(xo)).add(a2);
                    a3 = ((ShortVector) p3.selectFrom(levels).convertShape(VectorOperators.B2S, S, 0)).mul(xe)
                            .add(((ShortVector) high(p3).selectFrom(levels).convertShape(VectorOperators.B2S, S, 0)).mul(xo)).add(a3);
                }
                // Stored as zero + sum: the store's receiver then has an exact class (docs/KERNELS.md, "What C2 needs").
                zero.add(a0).intoArray(acc, 0);
                zero.add(a1).intoArray(acc, 16);
                zero.add(a2).intoArray(acc, 32);
                zero.add(a3).intoArray(acc, 48);
                flush(acc, unit * in.scale[j], base + g.metaOffset[k], s.out);
                at += (long) count * LutLayout.TILE;
            }
        }
    }

    /**
     * One tile's part for two tokens: {@link #gemvTile}'s loop with each piece's levels looked up once and multiplied
     * by both tokens' inputs, then each token's sums flushed as there. Outputs of the first token at out[0..64), of
     * the second at out[64..128).
     */
    private static void gemvTwoTokens(LutGeometry g, int part, long tile, Q8Input in0, Q8Input in1, byte[] table, float unit,
                                      short[] acc, float[] out) {
        short[] q0 = in0.q, q1 = in1.q;
        for (int k = g.partGroups[part], endGroup = g.partGroups[part + 1]; k < endGroup; k++) {
            long at = tile + g.chunkOffset[k];
            for (int j = g.groupBlocks[k], endBlock = g.groupBlocks[k + 1]; j < endBlock; j++) {
                int count = g.blockPositions[j] / 2, i0 = j * Q8Input.BLOCK;
                // Two pieces of each chunk at a time: four accumulators in AVX2's 16 registers (as LutDotAvx2Kernel).
                gemvHalfTwoTokens(at, count, q0, q1, i0, table, acc, 0);
                gemvHalfTwoTokens(at + 32, count, q0, q1, i0, table, acc, 32);
                flushTwoTokens(acc, unit * in0.scale[j], unit * in1.scale[j], tile + g.metaOffset[k], out);
                at += (long) count * LutLayout.TILE;
            }
        }
    }

    /** Pieces 2h and 2h + 1 of a block's chunks for two tokens: the first token's sums to acc[at..at+32), the second's 64 further. */
    private static void gemvHalfTwoTokens(long from, int count, short[] q0, short[] q1, int i0, byte[] table, short[] acc, int at) {
        MemorySegment data = WeightMemory.EVERYWHERE;
        ByteVector levels = ByteVector.fromArray(B, table, 0);
        ShortVector zero = ShortVector.zero(S), a0 = zero, a1 = zero, b0 = zero, b1 = zero;
        for (int c = 0; c < count; c++) {
            int i = i0 + 2 * c;
            long o = from + (long) c * LutLayout.TILE;
            ShortVector xe = ShortVector.broadcast(S, q0[i]), xo = ShortVector.broadcast(S, q0[i + 1]);
            ShortVector ye = ShortVector.broadcast(S, q1[i]), yo = ShortVector.broadcast(S, q1[i + 1]);
            ByteVector p0 = ByteVector.fromMemorySegment(B, data, o, ByteOrder.LITTLE_ENDIAN);
            ShortVector e0 = (ShortVector) p0.selectFrom(levels).convertShape(VectorOperators.B2S, S, 0);
            ShortVector o0 = (ShortVector) high(p0).selectFrom(levels).convertShape(VectorOperators.B2S, S, 0);
            a0 = e0.mul(xe).add(o0.mul(xo)).add(a0);
            b0 = e0.mul(ye).add(o0.mul(yo)).add(b0);
            ByteVector p1 = ByteVector.fromMemorySegment(B, data, o + 16, ByteOrder.LITTLE_ENDIAN);
            ShortVector e1 = (ShortVector) p1.selectFrom(levels).convertShape(VectorOperators.B2S, S, 0);
            ShortVector o1 = (ShortVector) high(p1).selectFrom(levels).convertShape(VectorOperators.B2S, S, 0);
            a1 = e1.mul(xe).add(o1.mul(xo)).add(a1);
            b1 = e1.mul(ye).add(o1.mul(yo)).add(b1);
        }
        zero.add(a0).intoArray(acc, at);
        zero.add(a1).intoArray(acc, at + 16);
        zero.add(b0).intoArray(acc, LutLayout.TILE + at);
        zero.add(b1).intoArray(acc, LutLayout.TILE + at + 16);
    }

    /** The high nibbles brought down; what comes along from the byte above is removed by {@code selectFrom}'s index wrap. */
    private static ByteVector high(ByteVector p) {
        return p.reinterpretAsInts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes();
    }

    /**
     * out = scale · (D · a) + out, as {@link LutDotScalarKernel} with c₀ = 0, the f16 scales read from the weights
     * eight at a time. A twin of {@link LutAvx2Kernel}'s flush, not a call into it: called from here, that kernel's
     * helpers were not inlined ("callee is too large" at a call site C2 had not seen hot) and lost their static
     * binding, so every vector was boxed (E2M1 decode 14 → 5 tokens/s).
     */
    private static void flush(short[] acc, float a, long metaAt, float[] out) {
        FloatVector av = FloatVector.broadcast(F, a);
        for (int p = 0; p < 4; p++) {
            IntVector v = ShortVector.fromArray(S, acc, 16 * p).reinterpretAsInts();
            int lo = 8 * p, hi = 32 + 8 * p;
            v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().mul(av)
                    .fma(f16s(metaAt + 2L * lo), FloatVector.fromArray(F, out, lo)).intoArray(out, lo);
            v.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().mul(av)
                    .fma(f16s(metaAt + 2L * hi), FloatVector.fromArray(F, out, hi)).intoArray(out, hi);
        }
    }

    /** {@link #flush} for two tokens at once (sums at acc[0..64) and acc[64..128), outputs likewise), the scales decoded once for both. */
    private static void flushTwoTokens(short[] acc, float a0, float a1, long metaAt, float[] out) {
        FloatVector av0 = FloatVector.broadcast(F, a0), av1 = FloatVector.broadcast(F, a1);
        for (int p = 0; p < 4; p++) {
            int lo = 8 * p, hi = 32 + 8 * p;
            FloatVector low = f16s(metaAt + 2L * lo), high = f16s(metaAt + 2L * hi);
            IntVector v = ShortVector.fromArray(S, acc, 16 * p).reinterpretAsInts();
            v.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().mul(av0)
                    .fma(low, FloatVector.fromArray(F, out, lo)).intoArray(out, lo);
            v.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().mul(av0)
                    .fma(high, FloatVector.fromArray(F, out, hi)).intoArray(out, hi);
            IntVector w = ShortVector.fromArray(S, acc, LutLayout.TILE + 16 * p).reinterpretAsInts();
            w.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().mul(av1)
                    .fma(low, FloatVector.fromArray(F, out, LutLayout.TILE + lo)).intoArray(out, LutLayout.TILE + lo);
            w.lanewise(VectorOperators.ASHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().mul(av1)
                    .fma(high, FloatVector.fromArray(F, out, LutLayout.TILE + hi)).intoArray(out, LutLayout.TILE + hi);
        }
    }

    /** Eight f16 values from {@code at}, as floats (under C2's 35 bytecode bytes: always inlined). */
    private static FloatVector f16s(long at) {
        return ScaleFormat.f16Floats((IntVector) ShortVector.fromMemorySegment(H, WeightMemory.EVERYWHERE, at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0));
    }
}
