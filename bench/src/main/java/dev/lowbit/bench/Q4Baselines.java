package dev.lowbit.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import dev.lowbit.kernels.WorkerPool;

/**
 * Baselines for the table-lookup kernel, written with the Vector API as carefully as lowbit's own kernels, on
 * ggml's Q4_0 layout (blocks of 32 weights: an f16 scale d, then 16 bytes; byte j holds weight j in its low
 * nibble and weight j+16 in its high nibble; w = d·(nibble − 8)).
 * <ul>
 *   <li>{@link #dequantizeGemv}: each block widened to floats and multiplied — llama3.java's approach;</li>
 *   <li>{@link #int8Gemv}: activations quantized to int8 per block, dot products of int8 × int4 in integers,
 *       widened to int16 products and int32 sums — Jlama's approach.</li>
 * </ul>
 */
final class Q4Baselines {
    static final int BLOCK = 32, BLOCK_BYTES = 18;
    private static final VectorSpecies<Byte> B = ByteVector.SPECIES_128;
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_512;
    private static final VectorSpecies<Short> S = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_512;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    final int rows, cols;
    final MemorySegment data;

    Q4Baselines(float[] w, int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
        int blocks = cols / BLOCK;
        data = Arena.ofAuto().allocate((long) rows * blocks * BLOCK_BYTES, 64);
        for (int r = 0; r < rows; r++) {
            for (int b = 0; b < blocks; b++) {
                int off = r * cols + b * BLOCK;
                float max = 0, signed = 0;
                for (int i = 0; i < BLOCK; i++) if (Math.abs(w[off + i]) > max) { max = Math.abs(w[off + i]); signed = w[off + i]; }
                float d = signed / -8f, inv = d == 0 ? 0 : 1 / d;
                long at = ((long) r * blocks + b) * BLOCK_BYTES;
                data.set(LE_SHORT, at, Float.floatToFloat16(d));
                for (int j = 0; j < 16; j++) {
                    int lo = Math.min(15, (int) (w[off + j] * inv + 8.5f)), hi = Math.min(15, (int) (w[off + j + 16] * inv + 8.5f));
                    data.set(ValueLayout.JAVA_BYTE, at + 2 + j, (byte) (lo | hi << 4));
                }
            }
        }
    }

    void dequantizeGemv(float[] x, float[] y, WorkerPool pool) {
        int blocks = cols / BLOCK;
        pool.parallelFor(rows, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                FloatVector acc = FloatVector.zero(F);
                long at = (long) r * blocks * BLOCK_BYTES;
                for (int b = 0; b < blocks; b++, at += BLOCK_BYTES) {
                    float d = Float.float16ToFloat(data.get(LE_SHORT, at));
                    ByteVector q = ByteVector.fromMemorySegment(B, data, at + 2, ByteOrder.LITTLE_ENDIAN);
                    FloatVector lo = (FloatVector) q.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
                    FloatVector hi = (FloatVector) q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0);
                    FloatVector s = lo.mul(FloatVector.fromArray(F, x, b * BLOCK)).add(hi.mul(FloatVector.fromArray(F, x, b * BLOCK + 16)));
                    acc = s.fma(FloatVector.broadcast(F, d), acc);
                }
                y[r] = acc.reduceLanes(VectorOperators.ADD);
            }
        });
    }

    /** Activations quantized per block: xq[i] = round(x[i] / sx[b]), sx = max|x| / 127 (done per call, included in the time). */
    void int8Gemv(float[] x, byte[] xq, float[] sx, float[] y, WorkerPool pool) {
        int blocks = cols / BLOCK;
        for (int b = 0; b < blocks; b++) {
            float max = 0;
            for (int i = 0; i < BLOCK; i++) max = Math.max(max, Math.abs(x[b * BLOCK + i]));
            float s = max == 0 ? 1 : max / 127, inv = 1 / s;
            sx[b] = s;
            for (int i = 0; i < BLOCK; i++) xq[b * BLOCK + i] = (byte) Math.rint(x[b * BLOCK + i] * inv);
        }
        pool.parallelFor(rows, 1, (from, to) -> {
            for (int r = from; r < to; r++) {
                float total = 0;
                long at = (long) r * blocks * BLOCK_BYTES;
                for (int b = 0; b < blocks; b++, at += BLOCK_BYTES) {
                    ByteVector q = ByteVector.fromMemorySegment(B, data, at + 2, ByteOrder.LITTLE_ENDIAN);
                    ShortVector lo = (ShortVector) q.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector hi = (ShortVector) q.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector xl = (ShortVector) ByteVector.fromArray(B, xq, b * BLOCK).convertShape(VectorOperators.B2S, S, 0);
                    ShortVector xh = (ShortVector) ByteVector.fromArray(B, xq, b * BLOCK + 16).convertShape(VectorOperators.B2S, S, 0);
                    IntVector p = (IntVector) lo.mul(xl).add(hi.mul(xh)).convertShape(VectorOperators.S2I, I, 0);
                    total += Float.float16ToFloat(data.get(LE_SHORT, at)) * sx[b] * p.reduceLanes(VectorOperators.ADD);
                }
                y[r] = total;
            }
        });
    }
}
