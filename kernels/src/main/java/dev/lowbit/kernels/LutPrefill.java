package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Table-lookup matrices times a batch of tokens (prefill): each tile of 64 rows is dequantized once into a
 * transposed fp32 scratch, then an outer-product GEMM runs over it. Two twins, one per vector width, because C2
 * compiles Vector API code only where the species is a constant: 512-bit floats (four tokens × 64 rows per pass)
 * and 256-bit floats (two tokens × 32 rows: an AVX2 CPU has 16 vector registers). They give the same results bit
 * for bit.
 */
final class LutPrefill {
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_512;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;
    /** Lane r takes the byte of row r: undoes the chunk byte order ({@link LutLayout#chunkByte}). */
    private static final VectorShuffle<Byte> ROW_ORDER = VectorShuffle.fromOp(B, LutLayout::chunkByte);

    private LutPrefill() {}

    /**
     * Prefill: each tile of 64 rows is dequantized once into a transposed fp32 scratch Wᵀ[K][64], then an
     * outer-product GEMM runs over it: for every input i, four weight vectors (64 rows) meet four tokens' x[i]
     * in 16 register accumulators. Dequantize-then-fp32-GEMM, tile by tile, so the scratch stays in cache.
     */
    static void multiply512(LutMatrix m, float[] x, float[] y, int batch, WorkerPool pool) {
        LutLayout layout = m.layout();
        int cols = layout.cols();
        float[] levels = m.levels();
        float[] levels16 = java.util.Arrays.copyOf(levels, 16);
        pool.parallelFor(layout.tiles(), 1, (from, to) -> {
            float[] wt = new float[cols * LutLayout.TILE];
            float[] meta = new float[2 * LutLayout.TILE];
            float[] out = new float[4 * LutLayout.TILE];
            for (int tile = from; tile < to; tile++) {
                decodeTransposed(m, tile, wt, meta, levels16);
                int t = 0;
                for (; t + 4 <= batch; t += 4) gemmFourTokens(layout, wt, x, t, out, y, tile, 4);
                if (t < batch) gemmFourTokens(layout, wt, x, t, out, y, tile, batch - t);
            }
        });
    }

    /** Tile {@code tile} as floats, transposed: wt[i·64 + r] = weight of row r, input i. */
    private static void decodeTransposed(LutMatrix m, int tile, float[] wt, float[] meta, float[] levels16) {
        LutLayout layout = m.layout();
        LutGeometry geometry = m.geometry();
        MemorySegment data = WeightMemory.EVERYWHERE; // docs/KERNELS.md, "What C2 needs"
        int[] groupBlocks = geometry.groupBlocks, blockPositions = geometry.blockPositions;
        long base = m.address() + tile * geometry.tileBytes;
        int g = layout.inputsPerPosition(), bits = layout.bits();
        byte mask = (byte) ((1 << bits) - 1);
        FloatVector table = FloatVector.fromArray(F, levels16, 0);
        for (int k = 0; k < groupBlocks.length - 1; k++) {
            LutScalarKernel.decodeMeta(layout, data, base + geometry.metaOffset[k], meta);
            long at = base + geometry.chunkOffset[k];
            for (int j = groupBlocks[k]; j < groupBlocks[k + 1]; j++) {
                int a0 = j * LutLayout.BLOCK, n = layout.blockInputs(j);
                for (int p = 0; p < blockPositions[j]; p++) {
                    ByteVector raw = ByteVector.fromMemorySegment(B, data, at + (long) (p / 2) * LutLayout.TILE, ByteOrder.LITTLE_ENDIAN)
                            .rearrange(ROW_ORDER);
                    ByteVector index = ((p & 1) == 0 ? raw : raw.lanewise(VectorOperators.LSHR, 4)).and((byte) 15);
                    for (int d = 0; d < g; d++) {
                        int input = p * g + d;
                        if (input >= n) break;
                        ByteVector code = index.lanewise(VectorOperators.LSHR, d * bits).and(mask);
                        for (int q = 0; q < 4; q++) {
                            IntVector c = (IntVector) code.convertShape(VectorOperators.B2I, I, q);
                            table.rearrange(c.toShuffle().cast(F))
                                    .fma(FloatVector.fromArray(F, meta, 16 * q), FloatVector.fromArray(F, meta, 64 + 16 * q))
                                    .intoArray(wt, (a0 + input) * LutLayout.TILE + 16 * q);
                        }
                    }
                }
                at += (long) blockPositions[j] / 2 * LutLayout.TILE;
            }
        }
    }

    /** y rows of this tile for tokens t..t+count−1 (count ≤ 4; missing tokens read token t again and are dropped). */
    private static void gemmFourTokens(LutLayout layout, float[] wt, float[] x, int t, float[] out, float[] y, int tile, int count) {
        int cols = layout.cols(), rows = layout.rows();
        int x0 = t * cols, x1 = (t + Math.min(1, count - 1)) * cols, x2 = (t + Math.min(2, count - 1)) * cols, x3 = (t + Math.min(3, count - 1)) * cols;
        FloatVector c00 = FloatVector.zero(F), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        FloatVector c20 = c00, c21 = c00, c22 = c00, c23 = c00, c30 = c00, c31 = c00, c32 = c00, c33 = c00;
        for (int i = 0; i < cols; i++) {
            int w = i * LutLayout.TILE;
            FloatVector w0 = FloatVector.fromArray(F, wt, w), w1 = FloatVector.fromArray(F, wt, w + 16);
            FloatVector w2 = FloatVector.fromArray(F, wt, w + 32), w3 = FloatVector.fromArray(F, wt, w + 48);
            FloatVector b0 = FloatVector.broadcast(F, x[x0 + i]), b1 = FloatVector.broadcast(F, x[x1 + i]);
            FloatVector b2 = FloatVector.broadcast(F, x[x2 + i]), b3 = FloatVector.broadcast(F, x[x3 + i]);
            c00 = w0.fma(b0, c00); c01 = w1.fma(b0, c01); c02 = w2.fma(b0, c02); c03 = w3.fma(b0, c03);
            c10 = w0.fma(b1, c10); c11 = w1.fma(b1, c11); c12 = w2.fma(b1, c12); c13 = w3.fma(b1, c13);
            c20 = w0.fma(b2, c20); c21 = w1.fma(b2, c21); c22 = w2.fma(b2, c22); c23 = w3.fma(b2, c23);
            c30 = w0.fma(b3, c30); c31 = w1.fma(b3, c31); c32 = w2.fma(b3, c32); c33 = w3.fma(b3, c33);
        }
        int r0 = tile * LutLayout.TILE, valid = Math.min(LutLayout.TILE, rows - r0);
        c00.intoArray(out, 0); c01.intoArray(out, 16); c02.intoArray(out, 32); c03.intoArray(out, 48);
        c10.intoArray(out, 64); c11.intoArray(out, 80); c12.intoArray(out, 96); c13.intoArray(out, 112);
        c20.intoArray(out, 128); c21.intoArray(out, 144); c22.intoArray(out, 160); c23.intoArray(out, 176);
        c30.intoArray(out, 192); c31.intoArray(out, 208); c32.intoArray(out, 224); c33.intoArray(out, 240);
        for (int k = 0; k < count; k++) System.arraycopy(out, 64 * k, y, (t + k) * rows + r0, valid);
    }

    /**
     * Prefill where AVX-512 is missing: {@link #multiply512} with 256-bit floats. The 16 levels are two
     * 8-lane tables (a code's bit 3 picks one), so the weights in the scratch equal those of the 512-bit path; the
     * GEMM takes two tokens × 32 rows per pass (8 accumulators: an AVX2 CPU has 16 vector registers).
     */
    static void multiply256(LutMatrix m, float[] x, float[] y, int batch, WorkerPool pool) {
        LutLayout layout = m.layout();
        int cols = layout.cols();
        pool.parallelFor(layout.tiles(), 1, (from, to) -> {
            float[] wt = new float[cols * LutLayout.TILE];
            float[] meta = new float[2 * LutLayout.TILE];
            float[] out = new float[2 * LutLayout.TILE];
            for (int tile = from; tile < to; tile++) {
                decodeTransposed256(m, tile, wt, meta);
                for (int t = 0; t < batch; t += 2) gemmTwoTokens256(layout, wt, x, t, Math.min(2, batch - t), out, y, tile);
            }
        });
    }

    /**
     * {@link #decodeTransposed} in 128-bit pieces: piece q of a chunk holds rows 8q..8q+7 (even bytes) and 32+8q..
     * (odd). Its loops repeat that method's with other species: C2 compiles Vector API code to instructions only
     * where the species is a constant.
     */
    private static void decodeTransposed256(LutMatrix m, int tile, float[] wt, float[] meta) {
        LutLayout layout = m.layout();
        LutGeometry geometry = m.geometry();
        MemorySegment data = WeightMemory.EVERYWHERE; // docs/KERNELS.md, "What C2 needs"
        float[] levels = m.levels();
        int[] groupBlocks = geometry.groupBlocks, blockPositions = geometry.blockPositions;
        long base = m.address() + tile * geometry.tileBytes;
        int g = layout.inputsPerPosition(), bits = layout.bits(), mask = (1 << bits) - 1;
        float[] levels16 = java.util.Arrays.copyOf(levels, 16);
        FloatVector low = FloatVector.fromArray(F256, levels16, 0), high = FloatVector.fromArray(F256, levels16, 8);
        for (int k = 0; k < groupBlocks.length - 1; k++) {
            LutScalarKernel.decodeMeta(layout, data, base + geometry.metaOffset[k], meta);
            long at = base + geometry.chunkOffset[k];
            for (int j = groupBlocks[k]; j < groupBlocks[k + 1]; j++) {
                int a0 = j * LutLayout.BLOCK, n = layout.blockInputs(j);
                for (int p = 0; p < blockPositions[j]; p++) {
                    for (int q = 0; q < 4; q++) {
                        ShortVector raw = ByteVector.fromMemorySegment(B128, data, at + (long) (p / 2) * LutLayout.TILE + 16 * q, ByteOrder.LITTLE_ENDIAN).reinterpretAsShorts();
                        IntVector even = (IntVector) raw.convertShape(VectorOperators.S2I, I256, 0);
                        IntVector odd = even.lanewise(VectorOperators.LSHR, 8);
                        for (int d = 0, shift = (p & 1) * 4; d < g && p * g + d < n; d++, shift += bits) {
                            int row = (a0 + p * g + d) * LutLayout.TILE;
                            IntVector ce = even.lanewise(VectorOperators.LSHR, shift).and(mask), co = odd.lanewise(VectorOperators.LSHR, shift).and(mask);
                            FloatVector le = low.rearrange(ce.and(7).toShuffle().cast(F256))
                                    .blend(high.rearrange(ce.and(7).toShuffle().cast(F256)), ce.compare(VectorOperators.GE, 8).cast(F256));
                            FloatVector lo = low.rearrange(co.and(7).toShuffle().cast(F256))
                                    .blend(high.rearrange(co.and(7).toShuffle().cast(F256)), co.compare(VectorOperators.GE, 8).cast(F256));
                            le.fma(FloatVector.fromArray(F256, meta, 8 * q), FloatVector.fromArray(F256, meta, 64 + 8 * q)).intoArray(wt, row + 8 * q);
                            lo.fma(FloatVector.fromArray(F256, meta, 32 + 8 * q), FloatVector.fromArray(F256, meta, 96 + 8 * q)).intoArray(wt, row + 32 + 8 * q);
                        }
                    }
                }
                at += (long) blockPositions[j] / 2 * LutLayout.TILE;
            }
        }
    }

    /** y rows of this tile for tokens t and t+1 (count 1: token t only; the second pass reads token t again). */
    private static void gemmTwoTokens256(LutLayout layout, float[] wt, float[] x, int t, int count, float[] out, float[] y, int tile) {
        int cols = layout.cols(), rows = layout.rows();
        int x0 = t * cols, x1 = (t + count - 1) * cols;
        for (int half = 0; half < LutLayout.TILE; half += 32) {
            FloatVector c00 = FloatVector.zero(F256), c01 = c00, c02 = c00, c03 = c00, c10 = c00, c11 = c00, c12 = c00, c13 = c00;
            for (int i = 0; i < cols; i++) {
                int w = i * LutLayout.TILE + half;
                FloatVector w0 = FloatVector.fromArray(F256, wt, w), w1 = FloatVector.fromArray(F256, wt, w + 8);
                FloatVector w2 = FloatVector.fromArray(F256, wt, w + 16), w3 = FloatVector.fromArray(F256, wt, w + 24);
                FloatVector b0 = FloatVector.broadcast(F256, x[x0 + i]), b1 = FloatVector.broadcast(F256, x[x1 + i]);
                c00 = w0.fma(b0, c00); c01 = w1.fma(b0, c01); c02 = w2.fma(b0, c02); c03 = w3.fma(b0, c03);
                c10 = w0.fma(b1, c10); c11 = w1.fma(b1, c11); c12 = w2.fma(b1, c12); c13 = w3.fma(b1, c13);
            }
            c00.intoArray(out, half); c01.intoArray(out, half + 8); c02.intoArray(out, half + 16); c03.intoArray(out, half + 24);
            c10.intoArray(out, 64 + half); c11.intoArray(out, 72 + half); c12.intoArray(out, 80 + half); c13.intoArray(out, 88 + half);
        }
        int r0 = tile * LutLayout.TILE, valid = Math.min(LutLayout.TILE, rows - r0);
        for (int k = 0; k < count; k++) System.arraycopy(out, 64 * k, y, (t + k) * rows + r0, valid);
    }
}
