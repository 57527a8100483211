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
 * The table-lookup GEMV for AVX2, lane-local as T-MAC's x86 kernel is: lookups are 128-bit byte permutes (one
 * {@code pshufb}, whose 16 entries are exactly one table of 16 bytes), sums are 256-bit.
 *
 * <p>A 64-byte chunk of the {@code lut64s} layout (two positions of 64 rows) is read as four 16-byte pieces; piece
 * q holds rows 8q..8q+7 (even bytes) and 32+8q..32+8q+7 (odd bytes), each byte the index of the even position in
 * its low nibble and of the odd one in its high nibble. Per piece the low nibbles select from the even position's
 * table, the high nibbles (brought down by a 32-bit shift; what comes along from the byte above is removed by
 * {@code selectFrom}'s index wrap) from the odd one's; both results are zero-extended to 16 shorts
 * ({@code vpmovzxbw}) and added into one 256-bit accumulator per piece. Biased entries are at most 255 and a span
 * at most 32 positions, so a short holds at most 32 · 255 = 8160: no overflow. Short j of piece q is row 8q + j/2
 * (even j) or 32 + 8q + j/2 (odd j); read as ints, the low halves are rows 8q..8q+7 in order and the high halves
 * rows 32+8q..32+8q+7, so the flush needs no permute. A unit of work is four tiles, taken one after another.
 * docs/KERNELS.md has the instructions C2 emits and the variants measured against this one.
 */
final class LutAvx2Kernel implements LookupKernel {
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_256;
    private static final VectorSpecies<Short> H = ShortVector.SPECIES_128; // 8 f16 scales

    /** A thread's scratch for one tile. */
    private static final class Scratch {
        final float[] meta = new float[2 * LutLayout.TILE]; // 64 scales, 64 offsets, in row order
        final float[] out = new float[LutLayout.TILE];
        final short[] acc = new short[LutLayout.TILE];
    }
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override public String name() { return "avx2"; }
    @Override public int tableStride() { return 16; }
    @Override public int tilesPerUnit() { return 4; }

    /** 4-bit integer and E2M1 codes run the dot-product kernels: fewer instructions per weight on AVX2 (docs/KERNELS.md). */
    @Override
    public LutKernel forMatrix(LutLayout layout, float[] levels) {
        if (LutDotAvx2Kernel.supports(layout, levels)) return LutKernels.DOT_AVX2;
        return LutLevelDotAvx2Kernel.supports(layout, levels) ? LutKernels.LEVEL_DOT_AVX2 : this;
    }

    @Override
    public void prefill(LutMatrix m, float[] x, float[] y, int batch, WorkerPool pool) {
        LutPrefill.multiply256(m, x, y, batch, pool);
    }

    @Override
    public void gemv(LutMatrix m, int firstTile, int part, LutTables t, float[] y, int yOff) {
        Scratch s = SCRATCH.get();
        int end = Math.min(firstTile + tilesPerUnit(), m.layout().tiles());
        for (int tile = firstTile; tile < end; tile++) gemvTile(m.layout(), m.geometry(), m.address(), tile, part, t, y, yOff, s.meta, s.out, s.acc);
    }

    private static void gemvTile(LutLayout layout, LutGeometry g, long address, int tile, int part, LutTables t, float[] y, int yOff,
                                 float[] meta, float[] out, short[] acc) {
        long base = address + tile * g.tileBytes;
        MemorySegment data = WeightMemory.EVERYWHERE; // docs/KERNELS.md, "What C2 needs"
        byte[] tables = t.tables;
        int[] groupSpans = g.groupSpans, spanPositions = g.spanPositions;
        int firstGroup = g.partGroups[part], endGroup = g.partGroups[part + 1];
        java.util.Arrays.fill(out, 0f);
        ShortVector zero = ShortVector.zero(S);
        int pos = g.groupPosition[firstGroup];
        // f16 scales (every format but MXFP4): the flush decodes them, and the offsets, where it uses them.
        boolean decodeInFlush = layout.scaleFormat() == ScaleFormat.F16;
        for (int k = firstGroup; k < endGroup; k++) {
            if (!decodeInFlush) LutScalarKernel.decodeMeta(layout, data, base + g.metaOffset[k], meta);
            long at = base + g.chunkOffset[k];
            for (int s = groupSpans[k], end = groupSpans[k + 1]; s < end; s++) {
                ShortVector a0 = zero, a1 = zero, a2 = zero, a3 = zero;
                for (int p = 0, n = spanPositions[s]; p < n; p += 2, pos += 2, at += LutLayout.TILE) {
                    ByteVector te = ByteVector.fromArray(B, tables, pos * 16), to = ByteVector.fromArray(B, tables, pos * 16 + 16);
                    IntVector l0 = ByteVector.fromMemorySegment(B, data, at, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
                    IntVector l1 = ByteVector.fromMemorySegment(B, data, at + 16, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
                    IntVector l2 = ByteVector.fromMemorySegment(B, data, at + 32, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
                    IntVector l3 = ByteVector.fromMemorySegment(B, data, at + 48, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
                    a0 = ((ShortVector) l0.reinterpretAsBytes().selectFrom(te).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0))
                            .add(l0.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().selectFrom(to).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0)).add(a0);
                    a1 = ((ShortVector) l1.reinterpretAsBytes().selectFrom(te).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0))
                            .add(l1.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().selectFrom(to).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0)).add(a1);
                    a2 = ((ShortVector) l2.reinterpretAsBytes().selectFrom(te).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0))
                            .add(l2.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().selectFrom(to).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0)).add(a2);
                    a3 = ((ShortVector) l3.reinterpretAsBytes().selectFrom(te).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0))
                            .add(l3.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().selectFrom(to).convertShape(VectorOperators.ZERO_EXTEND_B2S, S, 0)).add(a3);
                }
                // Stored as zero + sum: the store's receiver then has an exact class (docs/KERNELS.md, "What C2 needs").
                zero.add(a0).intoArray(acc, 0);
                zero.add(a1).intoArray(acc, 16);
                zero.add(a2).intoArray(acc, 32);
                zero.add(a3).intoArray(acc, 48);
                // Separate methods rather than branches inside one: a vector merged from two paths is boxed by C2.
                if (decodeInFlush) {
                    flushF16(acc, t, s, base + g.metaOffset[k], out);
                    if (layout.hasOffsets()) flushF16Offsets(t, s, base + g.metaOffset[k], out);
                } else if (layout.hasOffsets()) flushWithOffsets(acc, t, s, meta, out);
                else flush(acc, t, s, meta, out);
            }
        }
        int r0 = tile * LutLayout.TILE;
        System.arraycopy(out, 0, y, yOff + r0, Math.min(LutLayout.TILE, layout.rows() - r0));
    }

    /** out = scale · (sum · step + bias) + out, as the scalar reference computes it. */
    private static void flush(short[] acc, LutTables t, int s, float[] meta, float[] out) {
        FloatVector step = FloatVector.broadcast(F, t.spanScale[s]), bias = FloatVector.broadcast(F, t.spanBias[s]);
        for (int q = 0; q < 4; q++) {
            IntVector v = ShortVector.fromArray(S, acc, 16 * q).reinterpretAsInts();
            int lo = 8 * q, hi = 32 + 8 * q;
            v.and(0xFFFF).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(step, bias)
                    .fma(FloatVector.fromArray(F, meta, lo), FloatVector.fromArray(F, out, lo)).intoArray(out, lo);
            v.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(step, bias)
                    .fma(FloatVector.fromArray(F, meta, hi), FloatVector.fromArray(F, out, hi)).intoArray(out, hi);
        }
    }

    /**
     * {@link #flush} with the group's f16 scales read from the weights at {@code metaAt} and decoded here (8 rows
     * per 16 bytes, each a {@code vpmovsxwd} from memory): no decoded copy is stored and read back. For g32, every
     * span starts a group. Read through {@link WeightMemory#EVERYWHERE}, the loads need no guards worth counting;
     * copied to an array first (as before), the copy's vector loads were boxed in some runs (docs/KERNELS.md).
     */
    private static void flushF16(short[] acc, LutTables t, int s, long metaAt, float[] out) {
        FloatVector step = FloatVector.broadcast(F, t.spanScale[s]), bias = FloatVector.broadcast(F, t.spanBias[s]);
        for (int q = 0; q < 4; q++) {
            IntVector v = ShortVector.fromArray(S, acc, 16 * q).reinterpretAsInts();
            int lo = 8 * q, hi = 32 + 8 * q;
            v.and(0xFFFF).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(step, bias)
                    .fma(f16s(metaAt + 2L * lo), FloatVector.fromArray(F, out, lo)).intoArray(out, lo);
            v.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(step, bias)
                    .fma(f16s(metaAt + 2L * hi), FloatVector.fromArray(F, out, hi)).intoArray(out, hi);
        }
    }

    /**
     * Then out = offset · Σx + out with the group's f16 offsets, which follow its scales: the same value as one fused
     * expression after {@link #flushF16}'s, in its own method because C2 stopped inlining that expression's vector
     * operations part way (NodeCountInliningCutoff, in some runs) and boxed the rest (docs/KERNELS.md).
     */
    private static void flushF16Offsets(LutTables t, int s, long metaAt, float[] out) {
        long offsetsAt = metaAt + LutLayout.TILE * ScaleFormat.F16.bytes();
        FloatVector sum = FloatVector.broadcast(F, t.spanSum[s]);
        for (int q = 0; q < 8; q++) f16s(offsetsAt + 16L * q).fma(sum, FloatVector.fromArray(F, out, 8 * q)).intoArray(out, 8 * q);
    }

    /** Eight f16 values from {@code at}, as floats. Under C2's 35 bytecode bytes, so inlined wherever it is called (docs/KERNELS.md, "What C2 needs"). */
    private static FloatVector f16s(long at) {
        return ScaleFormat.f16Floats((IntVector) ShortVector.fromMemorySegment(H, WeightMemory.EVERYWHERE, at, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0));
    }

    /** {@link #flush} for groups with offsets: out = offset · Σx + (scale · (sum · step + bias) + out). */
    private static void flushWithOffsets(short[] acc, LutTables t, int s, float[] meta, float[] out) {
        FloatVector step = FloatVector.broadcast(F, t.spanScale[s]), bias = FloatVector.broadcast(F, t.spanBias[s]);
        FloatVector sum = FloatVector.broadcast(F, t.spanSum[s]);
        for (int q = 0; q < 4; q++) {
            IntVector v = ShortVector.fromArray(S, acc, 16 * q).reinterpretAsInts();
            int lo = 8 * q, hi = 32 + 8 * q;
            FloatVector.fromArray(F, meta, 64 + lo).fma(sum, v.and(0xFFFF).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(step, bias)
                    .fma(FloatVector.fromArray(F, meta, lo), FloatVector.fromArray(F, out, lo))).intoArray(out, lo);
            FloatVector.fromArray(F, meta, 64 + hi).fma(sum, v.lanewise(VectorOperators.LSHR, 16).convert(VectorOperators.I2F, 0).reinterpretAsFloats().fma(step, bias)
                    .fma(FloatVector.fromArray(F, meta, hi), FloatVector.fromArray(F, out, hi))).intoArray(out, hi);
        }
    }
}
