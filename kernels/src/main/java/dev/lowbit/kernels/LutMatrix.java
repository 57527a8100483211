package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Low-bit weights multiplied by table lookup (docs/KERNELS.md). A token's GEMV never multiplies a weight:
 * every 4-bit index of 64 rows is looked up in a 16-entry table of precomputed partial sums with one 512-bit
 * byte permute, and the int8 results are summed in int16 per block of 32 inputs, then scaled in float.
 * Batches (prefill) decode rows to floats once and take dot products for all tokens.
 */
public final class LutMatrix implements WeightMatrix {
    static final VectorSpecies<Byte> B = ByteVector.SPECIES_512;
    static final VectorSpecies<Short> S = ShortVector.SPECIES_512;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** One table cache per kind of weights, shared by all matrices of that kind (same levels and input width). */
    private static final Map<String, LutTables.Cache> CACHES = new ConcurrentHashMap<>();

    private final LutLayout layout;
    private final float[] levels;
    private final MemorySegment data;
    private final LutTables.Cache cache;
    private final long[] groupOffset; // byte offset of each group within a tile

    public LutMatrix(LutLayout layout, float[] levels, MemorySegment data) {
        if (levels.length != 1 << layout.bits()) throw new IllegalArgumentException(levels.length + " levels for " + layout.bits() + " bits");
        for (float l : levels) if (!Float.isFinite(l)) throw new IllegalArgumentException("non-finite level " + l);
        if (data.byteSize() != layout.totalBytes()) {
            throw new IllegalArgumentException("packed data has " + data.byteSize() + " bytes, layout needs " + layout.totalBytes());
        }
        this.layout = layout;
        this.levels = levels.clone();
        this.data = data;
        this.cache = CACHES.computeIfAbsent(layout.cols() + "/" + layout.bits() + "/" + java.util.Arrays.toString(levels), k -> new LutTables.Cache());
        this.groupOffset = new long[layout.groups() + 1];
        for (int k = 0; k < layout.groups(); k++) {
            int positions = 0;
            for (int j = layout.firstBlock(k); j < layout.endBlock(k); j++) positions += layout.blockPositions(j);
            groupOffset[k + 1] = groupOffset[k] + layout.metaBytes() + (long) positions / 2 * LutLayout.TILE;
        }
    }

    /** Whether this machine runs the 512-bit kernel (AVX-512 VBMI byte permutes); otherwise the scalar path is used. */
    public static boolean vectorKernelAvailable() {
        return ByteVector.SPECIES_PREFERRED.vectorBitSize() >= 512;
    }

    public LutLayout layout() { return layout; }
    public float[] levels() { return levels.clone(); }
    public MemorySegment data() { return data; }

    @Override public int rows() { return layout.rows(); }
    @Override public int cols() { return layout.cols(); }
    @Override public long byteSize() { return data.byteSize(); }
    @Override public String typeName() { return "lut" + layout.bits() + "/g" + layout.effectiveGroup(); }

    @Override
    public void multiply(float[] x, float[] y, int batch, WorkerPool pool) {
        if (batch > 1) {
            multiplyDequantized(x, y, batch, pool);
            return;
        }
        LutTables t = cache.get(layout, levels, x, 0);
        boolean vector = vectorKernelAvailable();
        pool.parallelFor(layout.tiles(), 1, (from, to) -> {
            for (int tile = from; tile < to; tile++) {
                if (vector) gemvTile(tile, t, y);
                else gemvTileScalar(tile, t, y);
            }
        });
    }

    /** The 512-bit kernel for one tile of 64 rows. */
    private void gemvTile(int tile, LutTables t, float[] y) {
        long base = tile * layout.tileBytes();
        int scaleBytes = layout.scaleFormat().bytes();
        FloatVector o0 = FloatVector.zero(F), o1 = o0, o2 = o0, o3 = o0;
        int pos = 0;
        for (int k = 0; k < layout.groups(); k++) {
            long at = base + groupOffset[k];
            FloatVector s0 = scale(at, 0), s1 = scale(at, 1), s2 = scale(at, 2), s3 = scale(at, 3);
            FloatVector f0 = null, f1 = null, f2 = null, f3 = null;
            if (layout.hasOffsets()) {
                long offsets = at + (long) LutLayout.TILE * scaleBytes;
                f0 = f16(offsets, 0);
                f1 = f16(offsets, 1);
                f2 = f16(offsets, 2);
                f3 = f16(offsets, 3);
            }
            at += layout.metaBytes();
            for (int j = layout.firstBlock(k); j < layout.endBlock(k); j++) {
                ShortVector a0 = ShortVector.zero(S), a1 = a0;
                for (int p = 0, n = layout.blockPositions(j); p < n; p += 2, pos += 2, at += LutLayout.TILE) {
                    ByteVector lo = ByteVector.fromMemorySegment(B, data, at, ByteOrder.LITTLE_ENDIAN);
                    // High nibbles: a 16-bit shift moves each byte's high nibble down; the bits that come in
                    // from the neighbouring byte land in bits 4..7, which the replicated table ignores.
                    ByteVector hi = lo.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes();
                    ByteVector r0 = lo.selectFrom(ByteVector.fromArray(B, t.tables, pos * 64));
                    ByteVector r1 = hi.selectFrom(ByteVector.fromArray(B, t.tables, (pos + 1) * 64));
                    a0 = a0.add((ShortVector) r0.convertShape(VectorOperators.B2S, S, 0)).add((ShortVector) r1.convertShape(VectorOperators.B2S, S, 0));
                    a1 = a1.add((ShortVector) r0.convertShape(VectorOperators.B2S, S, 1)).add((ShortVector) r1.convertShape(VectorOperators.B2S, S, 1));
                }
                FloatVector step = FloatVector.broadcast(F, t.blockScale[j]), bias = FloatVector.broadcast(F, t.blockBias[j]);
                o0 = flush(a0, 0, step, bias, s0, o0);
                o1 = flush(a0, 1, step, bias, s1, o1);
                o2 = flush(a1, 0, step, bias, s2, o2);
                o3 = flush(a1, 1, step, bias, s3, o3);
                if (f0 != null) {
                    FloatVector sum = FloatVector.broadcast(F, t.blockSum[j]);
                    o0 = f0.fma(sum, o0);
                    o1 = f1.fma(sum, o1);
                    o2 = f2.fma(sum, o2);
                    o3 = f3.fma(sum, o3);
                }
            }
        }
        store(tile, y, o0, o1, o2, o3);
    }

    /** out += scale · (acc · step + bias) for 16 rows (part 0 or 1 of a 32-row int16 accumulator). */
    private static FloatVector flush(ShortVector acc, int part, FloatVector step, FloatVector bias, FloatVector scale, FloatVector out) {
        FloatVector a = (FloatVector) acc.convertShape(VectorOperators.S2F, F, part);
        return a.fma(step, bias).fma(scale, out);
    }

    /** Scales of rows 16·quarter .. 16·quarter+15 of the tile. */
    private FloatVector scale(long at, int quarter) {
        if (layout.scaleFormat() == ScaleFormat.F16) return f16(at, quarter);
        // E8M0: the byte is the float's exponent field (0 only in all-zero groups, where the scale does not matter).
        IntVector e = (IntVector) ByteVector.fromMemorySegment(jdk.incubator.vector.ByteVector.SPECIES_128, data, at + 16L * quarter, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2I, I, 0);
        return e.and(0xFF).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
    }

    /** 16 IEEE half floats at {@code at + 32·quarter}, widened exactly (normals and subnormals; no inf/NaN). */
    private FloatVector f16(long at, int quarter) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_256, data, at + 32L * quarter, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, I, 0);
        IntVector sign = h.and(0x8000).lanewise(VectorOperators.LSHL, 16);
        FloatVector magnitude = h.and(0x7FFF).lanewise(VectorOperators.LSHL, 13).reinterpretAsFloats().mul(0x1p112f);
        return magnitude.reinterpretAsInts().or(sign).reinterpretAsFloats();
    }

    private void store(int tile, float[] y, FloatVector o0, FloatVector o1, FloatVector o2, FloatVector o3) {
        int r0 = tile * LutLayout.TILE, valid = Math.min(LutLayout.TILE, layout.rows() - r0);
        if (valid == LutLayout.TILE) {
            o0.intoArray(y, r0);
            o1.intoArray(y, r0 + 16);
            o2.intoArray(y, r0 + 32);
            o3.intoArray(y, r0 + 48);
            return;
        }
        float[] tmp = new float[LutLayout.TILE];
        o0.intoArray(tmp, 0);
        o1.intoArray(tmp, 16);
        o2.intoArray(tmp, 32);
        o3.intoArray(tmp, 48);
        System.arraycopy(tmp, 0, y, r0, valid);
    }

    /**
     * Scalar reference of the same computation with the same int8 tables, in the same order of float
     * operations: the vector kernel must match it exactly. Also the fallback where 512-bit permutes are missing.
     */
    void gemvTileScalar(int tile, LutTables t, float[] y) {
        long base = tile * layout.tileBytes();
        int rowsHere = Math.min(LutLayout.TILE, layout.rows() - tile * LutLayout.TILE);
        float[] out = new float[LutLayout.TILE];
        int[] acc = new int[LutLayout.TILE];
        int pos = 0;
        for (int k = 0; k < layout.groups(); k++) {
            long at = base + groupOffset[k];
            float[] scales = new float[LutLayout.TILE], offsets = new float[LutLayout.TILE];
            for (int r = 0; r < LutLayout.TILE; r++) {
                scales[r] = layout.scaleFormat().read(data.asSlice(at), r);
                if (layout.hasOffsets()) offsets[r] = ScaleFormat.F16.read(data.asSlice(at + (long) LutLayout.TILE * layout.scaleFormat().bytes()), r);
            }
            at += layout.metaBytes();
            for (int j = layout.firstBlock(k); j < layout.endBlock(k); j++) {
                java.util.Arrays.fill(acc, 0);
                for (int p = 0, n = layout.blockPositions(j); p < n; p += 2, pos += 2, at += LutLayout.TILE) {
                    for (int r = 0; r < LutLayout.TILE; r++) {
                        int b = data.get(ValueLayout.JAVA_BYTE, at + r) & 0xFF;
                        acc[r] += t.tables[pos * 64 + (b & 15)] + t.tables[(pos + 1) * 64 + (b >>> 4)];
                    }
                }
                for (int r = 0; r < LutLayout.TILE; r++) {
                    out[r] = Math.fma(Math.fma(acc[r], t.blockScale[j], t.blockBias[j]), scales[r], out[r]);
                    if (layout.hasOffsets()) out[r] = Math.fma(offsets[r], t.blockSum[j], out[r]);
                }
            }
        }
        System.arraycopy(out, 0, y, tile * LutLayout.TILE, rowsHere);
    }

    /** The scalar reference over all rows (tests compare the vector kernel with it). */
    public void multiplyReference(float[] x, float[] y) {
        LutTables t = LutTables.build(layout, levels, x, 0);
        for (int tile = 0; tile < layout.tiles(); tile++) gemvTileScalar(tile, t, y);
    }

    // ---- decoding (rows, prefill) ----

    @Override
    public void readRow(int row, float[] dst, int offset) {
        java.util.Objects.checkIndex(row, layout.rows());
        int tile = row / LutLayout.TILE, r = row % LutLayout.TILE, g = layout.inputsPerPosition(), bits = layout.bits();
        int mask = (1 << bits) - 1;
        long base = tile * layout.tileBytes();
        for (int k = 0; k < layout.groups(); k++) {
            long at = base + groupOffset[k];
            float scale = layout.scaleFormat().read(data.asSlice(at), r);
            float shift = layout.hasOffsets() ? ScaleFormat.F16.read(data.asSlice(at + (long) LutLayout.TILE * layout.scaleFormat().bytes()), r) : 0f;
            at += layout.metaBytes();
            for (int j = layout.firstBlock(k); j < layout.endBlock(k); j++) {
                int n = layout.blockInputs(j), a0 = j * LutLayout.BLOCK;
                for (int p = 0, np = layout.blockPositions(j); p < np; p++) {
                    int b = data.get(ValueLayout.JAVA_BYTE, at + (long) (p / 2) * LutLayout.TILE + r) & 0xFF;
                    int index = (p & 1) == 0 ? b & 15 : b >>> 4;
                    for (int d = 0; d < g; d++) {
                        int input = p * g + d;
                        if (input < n) dst[offset + a0 + input] = scale * levels[(index >>> (d * bits)) & mask] + shift;
                    }
                }
                at += (long) layout.blockPositions(j) / 2 * LutLayout.TILE;
            }
        }
    }

    private void multiplyDequantized(float[] x, float[] y, int batch, WorkerPool pool) {
        int rows = layout.rows(), cols = layout.cols();
        pool.parallelFor(rows, 1, (from, to) -> {
            float[] w = new float[cols];
            for (int r = from; r < to; r++) {
                readRow(r, w, 0);
                for (int t = 0; t < batch; t++) y[t * rows + r] = VectorOps.dot(w, 0, x, t * cols, cols);
            }
        });
    }

    static void writeF16(MemorySegment seg, long at, int index, float v) {
        seg.set(LE_SHORT, at + 2L * index, Float.floatToFloat16(v));
    }
}
