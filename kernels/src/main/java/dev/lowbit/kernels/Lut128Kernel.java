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
 * The table-lookup GEMV in 128-bit vectors only, for machines whose widest vectors are 128 bits (ARM NEON, where a
 * 16-byte {@code selectFrom} is one {@code tbl}; x86 with SSE only). Lookups as {@link LutAvx2Kernel}'s; the sums
 * stay in 128-bit registers without widening each lookup: per piece of 16 bytes (8 shorts, each two rows) the kernel
 * adds the lookups as shorts (W, wrapping) and the lookups shifted right by 8 as ints (V), and the flush recovers
 * the exact byte sums from the two, as {@link Lut512Kernel} does. Short i of piece q holds row 8q + i in its low
 * byte and row 32 + 8q + i in its high byte. A unit of work is four tiles, taken one after another.
 */
final class Lut128Kernel implements LookupKernel {
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_128;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_128;

    /** A thread's scratch for one tile. */
    private static final class Scratch {
        final float[] meta = new float[2 * LutLayout.TILE]; // 64 scales, 64 offsets, in row order
        final float[] out = new float[LutLayout.TILE];
        final short[] acc = new short[LutLayout.TILE];
    }
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    @Override public String name() { return "128"; }
    @Override public int tableStride() { return 16; }
    @Override public int tilesPerUnit() { return 4; }

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
        for (int k = firstGroup; k < endGroup; k++) {
            LutScalarKernel.decodeMeta(layout, data, base + g.metaOffset[k], meta);
            long at = base + g.chunkOffset[k];
            for (int s = groupSpans[k], end = groupSpans[k + 1]; s < end; s++) {
                int n = spanPositions[s];
                // Two passes over the span, each over two pieces of every chunk (the second pass finds the chunks in
                // L1): four pieces at once need eight accumulators, and with the tables and temporaries 16 vector
                // registers (AVX2, NEON has 32) spilled accumulators to the stack in every iteration (docs/KERNELS.md).
                for (int half = 0; half < 2; half++) {
                    ShortVector w0 = zero, h0 = zero, w1 = zero, h1 = zero;
                    long a = at + 32 * half;
                    for (int p = 0, tp = pos * 16; p < n; p += 2, tp += 32, a += LutLayout.TILE) {
                        ByteVector te = ByteVector.fromArray(B, tables, tp), to = ByteVector.fromArray(B, tables, tp + 16);
                        IntVector l0 = ByteVector.fromMemorySegment(B, data, a, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
                        IntVector l1 = ByteVector.fromMemorySegment(B, data, a + 16, ByteOrder.LITTLE_ENDIAN).reinterpretAsInts();
                        IntVector r0 = l0.reinterpretAsBytes().selectFrom(te).reinterpretAsInts();
                        IntVector u0 = l0.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().selectFrom(to).reinterpretAsInts();
                        IntVector r1 = l1.reinterpretAsBytes().selectFrom(te).reinterpretAsInts();
                        IntVector u1 = l1.lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes().selectFrom(to).reinterpretAsInts();
                        w0 = r0.reinterpretAsShorts().add(u0.reinterpretAsShorts()).add(w0);
                        h0 = r0.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().add(u0.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).add(h0);
                        w1 = r1.reinterpretAsShorts().add(u1.reinterpretAsShorts()).add(w1);
                        h1 = r1.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts().add(u1.lanewise(VectorOperators.LSHR, 8).reinterpretAsShorts()).add(h1);
                    }
                    // Stored as zero + sum: the store's receiver then has an exact class (docs/KERNELS.md, "What C2 needs").
                    zero.add(w0).intoArray(acc, 32 * half);
                    zero.add(h0).intoArray(acc, 32 * half + 8);
                    zero.add(w1).intoArray(acc, 32 * half + 16);
                    zero.add(h1).intoArray(acc, 32 * half + 24);
                }
                pos += n;
                at += (long) n / 2 * LutLayout.TILE;
                // Two methods rather than a branch inside one: a vector merged from two paths is boxed by C2.
                if (layout.hasOffsets()) flushWithOffsets(acc, t, s, meta, out);
                else flush(acc, t, s, meta, out);
            }
        }
        int r0 = tile * LutLayout.TILE;
        System.arraycopy(out, 0, y, yOff + r0, Math.min(LutLayout.TILE, layout.rows() - r0));
    }

    /*
     * The flushes: per piece q, W = acc[16q..16q+8) and V = acc[16q+8..16q+16). The rows 32+8q.. (high bytes) come
     * from V once the next short's low byte, which V carries above them, is removed; the rows 8q.. from W once the
     * high bytes' sums are removed. Then out = scale · (sum · step + bias) + out (+ offset · Σx), as the scalar
     * reference computes it. Written out in each: a helper returning a vector that C2 did not inline was boxed.
     */

    private static void flush(short[] acc, LutTables t, int s, float[] meta, float[] out) {
        FloatVector step = FloatVector.broadcast(F, t.spanScale[s]), bias = FloatVector.broadcast(F, t.spanBias[s]);
        for (int q = 0; q < 4; q++) {
            ShortVector raw = ShortVector.fromArray(S, acc, 16 * q), shifted = ShortVector.fromArray(S, acc, 16 * q + 8);
            ShortVector carry = raw.sub(shifted.lanewise(VectorOperators.LSHL, 8)).reinterpretAsInts().lanewise(VectorOperators.LSHR, 16)
                    .reinterpretAsShorts().lanewise(VectorOperators.LSHL, 8);
            ShortVector high = shifted.sub(carry), low = raw.sub(high.lanewise(VectorOperators.LSHL, 8));
            for (int half = 0; half < 2; half++) {
                int lo = 8 * q + 4 * half, hi = 32 + lo;
                ((FloatVector) low.convertShape(VectorOperators.S2F, F, half)).fma(step, bias)
                        .fma(FloatVector.fromArray(F, meta, lo), FloatVector.fromArray(F, out, lo)).intoArray(out, lo);
                ((FloatVector) high.convertShape(VectorOperators.S2F, F, half)).fma(step, bias)
                        .fma(FloatVector.fromArray(F, meta, hi), FloatVector.fromArray(F, out, hi)).intoArray(out, hi);
            }
        }
    }

    private static void flushWithOffsets(short[] acc, LutTables t, int s, float[] meta, float[] out) {
        FloatVector step = FloatVector.broadcast(F, t.spanScale[s]), bias = FloatVector.broadcast(F, t.spanBias[s]);
        FloatVector sum = FloatVector.broadcast(F, t.spanSum[s]);
        for (int q = 0; q < 4; q++) {
            ShortVector raw = ShortVector.fromArray(S, acc, 16 * q), shifted = ShortVector.fromArray(S, acc, 16 * q + 8);
            ShortVector carry = raw.sub(shifted.lanewise(VectorOperators.LSHL, 8)).reinterpretAsInts().lanewise(VectorOperators.LSHR, 16)
                    .reinterpretAsShorts().lanewise(VectorOperators.LSHL, 8);
            ShortVector high = shifted.sub(carry), low = raw.sub(high.lanewise(VectorOperators.LSHL, 8));
            for (int half = 0; half < 2; half++) {
                int lo = 8 * q + 4 * half, hi = 32 + lo;
                FloatVector.fromArray(F, meta, 64 + lo).fma(sum, ((FloatVector) low.convertShape(VectorOperators.S2F, F, half)).fma(step, bias)
                        .fma(FloatVector.fromArray(F, meta, lo), FloatVector.fromArray(F, out, lo))).intoArray(out, lo);
                FloatVector.fromArray(F, meta, 64 + hi).fma(sum, ((FloatVector) high.convertShape(VectorOperators.S2F, F, half)).fma(step, bias)
                        .fma(FloatVector.fromArray(F, meta, hi), FloatVector.fromArray(F, out, hi))).intoArray(out, hi);
            }
        }
    }
}
