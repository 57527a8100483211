package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * 8-bit integer weights (levels base … base+255) in the row-stream layout, multiplied in float with the
 * Vector API: for the token embedding and classifier, which stay at 8 bits. A code c is read as the signed
 * byte c ^ 0x80 (= c − 128), so level = signed + (base + 128); the constant part is applied per group through
 * the group's activation sum: Σ_k (scale_k·(base+128) + offset_k)·Σx_k.
 */
public final class Int8Matrix implements WeightMatrix {
    // 64 codes per step, or 32 without AVX-512 (VectorOps.WIDE).
    private static final VectorSpecies<Float> F = VectorOps.WIDE ? FloatVector.SPECIES_512 : FloatVector.SPECIES_256;
    private static final VectorSpecies<Byte> B = F.length() == 16 ? ByteVector.SPECIES_512 : ByteVector.SPECIES_256;
    private static final int MIN_WORK_PER_THREAD = 1 << 15;

    private final CodebookMatrix codebook;
    private final float constant; // base + 128

    private Int8Matrix(CodebookMatrix codebook, float constant) {
        this.codebook = codebook;
        this.constant = constant;
    }

    /**
     * An Int8Matrix over {@code m} when its codes are 8-bit integers with unit steps, its groups hold 16·k codes
     * and its rows 64·k; else null. (Groups of 16: GGUF's Q6_K, Q3_K and Q2_K sub-blocks.)
     */
    public static Int8Matrix over(CodebookMatrix m) {
        CodeLayout c = m.layout();
        if (c.bits() != 8 || c.groupSize() % 16 != 0 || c.cols() % 64 != 0) return null;
        float[] levels = m.levels();
        for (int i = 1; i < levels.length; i++) if (levels[i] != levels[0] + i) return null;
        return new Int8Matrix(m, levels[0] + 128);
    }

    public CodebookMatrix codebook() { return codebook; }

    @Override public int rows() { return codebook.rows(); }
    @Override public int cols() { return codebook.cols(); }
    @Override public long byteSize() { return codebook.byteSize(); }
    @Override public String typeName() { return codebook.typeName(); }

    @Override
    public void readRow(int row, float[] dst, int offset) {
        codebook.readRow(row, dst, offset);
    }

    @Override
    public void multiply(float[] x, float[] y, int batch, WorkerPool pool) {
        CodeLayout c = codebook.layout();
        int rows = c.rows(), cols = c.cols(), g = c.groupSize(), groups = c.groupsPerRow();
        float[] groupSums = new float[batch * groups];
        for (int t = 0; t < batch; t++) {
            for (int k = 0; k < groups; k++) {
                float s = 0;
                for (int i = k * g, end = Math.min(cols, i + g); i < end; i++) s += x[t * cols + i];
                groupSums[t * groups + k] = s;
            }
        }
        pool.parallelFor(rows, Math.max(1, MIN_WORK_PER_THREAD / (cols * batch) + 1), (from, to) -> {
            float[] scales = new float[groups], offsets = new float[groups];
            for (int r = from; r < to; r++) {
                codebook.scaleFormat().readAll(codebook.scales(), (long) r * groups, groups, scales, 0);
                if (codebook.offsets() != null) ScaleFormat.F16.readAll(codebook.offsets(), (long) r * groups, groups, offsets, 0);
                for (int t = 0; t < batch; t++) {
                    float constantTerm = constant * VectorOps.dot(scales, 0, groupSums, t * groups, groups)
                            + VectorOps.dot(offsets, 0, groupSums, t * groups, groups);
                    float dot = g % 32 == 0 ? dotRow(r, x, t * cols, scales) : dotRow16(r, x, t * cols, scales);
                    y[t * rows + r] = dot + constantTerm;
                }
            }
        });
    }

    /**
     * Σ_k scale_k · Σ_{i∈k} (c_i − 128)·x_i for row r: 64 (or 32) codes per load; each quarter is converted to
     * floats and multiplied by x, partial sums of a group scaled once.
     */
    private float dotRow(int r, float[] x, int xOff, float[] scales) {
        int cols = codebook.layout().cols(), group = codebook.layout().groupSize(), n = F.length(), step = B.length();
        MemorySegment codes = codebook.codes();
        long w = (long) r * cols;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int i = 0; i < cols; i += step) {
            ByteVector b = ByteVector.fromMemorySegment(B, codes, w + i, ByteOrder.LITTLE_ENDIAN).lanewise(VectorOperators.XOR, (byte) 0x80);
            FloatVector p0 = ((FloatVector) b.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xOff + i));
            p0 = ((FloatVector) b.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xOff + i + n), p0);
            FloatVector p1 = ((FloatVector) b.convertShape(VectorOperators.B2F, F, 2)).mul(FloatVector.fromArray(F, x, xOff + i + 2 * n));
            p1 = ((FloatVector) b.convertShape(VectorOperators.B2F, F, 3)).fma(FloatVector.fromArray(F, x, xOff + i + 3 * n), p1);
            // Parts 0–1 and 2–3 each cover 2n ≤ 32 codes, which lie in one group because groups hold 32·k codes.
            acc0 = p0.fma(FloatVector.broadcast(F, scales[i / group]), acc0);
            acc1 = p1.fma(FloatVector.broadcast(F, scales[(i + 2 * n) / group]), acc1);
        }
        return VectorOps.sum(acc0.add(acc1));
    }

    /**
     * {@link #dotRow} for groups of 16·k that are not 32·k (16, 48, 80, …): each quarter of a load scaled on its own,
     * as a quarter holds at most 16 aligned codes and so lies in one group.
     */
    private float dotRow16(int r, float[] x, int xOff, float[] scales) {
        int cols = codebook.layout().cols(), group = codebook.layout().groupSize(), n = F.length(), step = B.length();
        MemorySegment codes = codebook.codes();
        long w = (long) r * cols;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int i = 0; i < cols; i += step) {
            ByteVector b = ByteVector.fromMemorySegment(B, codes, w + i, ByteOrder.LITTLE_ENDIAN).lanewise(VectorOperators.XOR, (byte) 0x80);
            FloatVector p0 = ((FloatVector) b.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xOff + i));
            FloatVector p1 = ((FloatVector) b.convertShape(VectorOperators.B2F, F, 1)).mul(FloatVector.fromArray(F, x, xOff + i + n));
            FloatVector p2 = ((FloatVector) b.convertShape(VectorOperators.B2F, F, 2)).mul(FloatVector.fromArray(F, x, xOff + i + 2 * n));
            FloatVector p3 = ((FloatVector) b.convertShape(VectorOperators.B2F, F, 3)).mul(FloatVector.fromArray(F, x, xOff + i + 3 * n));
            acc0 = p0.fma(FloatVector.broadcast(F, scales[i / group]), acc0);
            acc1 = p1.fma(FloatVector.broadcast(F, scales[(i + n) / group]), acc1);
            acc0 = p2.fma(FloatVector.broadcast(F, scales[(i + 2 * n) / group]), acc0);
            acc1 = p3.fma(FloatVector.broadcast(F, scales[(i + 3 * n) / group]), acc1);
        }
        return VectorOps.sum(acc0.add(acc1));
    }
}
