package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
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
    // n codes per step into n floats: 16 with AVX-512, 8 with AVX2, 4 with 128-bit vectors (which load 8 bytes).
    private static final VectorSpecies<Float> F = VectorOps.F;
    private static final VectorSpecies<Byte> B = F.length() == 16 ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
    private static final int MIN_WORK_PER_THREAD = 1 << 15;

    private final CodebookMatrix codebook;
    private final MemorySegment codes; // the codebook's codes, in native memory (read through WeightMemory.EVERYWHERE)
    private final float constant; // base + 128
    private final int groupShift; // log2 of the group size

    private Int8Matrix(CodebookMatrix codebook, float constant) {
        this.codebook = codebook;
        this.codes = WeightMemory.nativeOf(codebook.codes());
        this.constant = constant;
        CodeLayout c = codebook.layout();
        this.groupShift = c.groupSize() >= c.cols() ? 31 : Integer.numberOfTrailingZeros(c.groupSize());
    }

    /**
     * An Int8Matrix over {@code m} when its codes are 8-bit integers with unit steps, its groups hold 16·2^j codes
     * (or whole rows) and its rows 64·k; else null. (Groups of 16: GGUF's Q6_K, Q3_K and Q2_K sub-blocks; of 32: Q8_0.)
     */
    public static Int8Matrix over(CodebookMatrix m) {
        CodeLayout c = m.layout();
        int g = c.groupSize();
        boolean wholeRows = g >= c.cols();
        if (c.bits() != 8 || !(wholeRows || g >= 16 && Integer.bitCount(g) == 1) || c.cols() % 64 != 0) return null;
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
        WeightMemory.checkAlive(codes);
        pool.parallelFor(rows, Math.max(1, MIN_WORK_PER_THREAD / (cols * batch) + 1), (from, to) -> {
            float[] scales = new float[FourStreams.STREAMS * groups], offsets = new float[FourStreams.STREAMS * groups];
            float[] dots = new float[FourStreams.STREAMS];
            FourStreams.forEach(from, to, (r, stride, count) -> {
                for (int s = 0; s < FourStreams.STREAMS; s++) {
                    long first = (long) (r + s * stride) * groups;
                    codebook.scaleFormat().readAll(codebook.scales(), first, groups, scales, s * groups);
                    if (codebook.offsets() != null) ScaleFormat.F16.readAll(codebook.offsets(), first, groups, offsets, s * groups);
                }
                for (int t = 0; t < batch; t++) {
                    dotRows(r, stride, x, t * cols, scales, dots);
                    for (int s = 0; s < count; s++) {
                        float constantTerm = 0; // GGUF's Q6_K and Q8_0 have neither part
                        if (constant != 0) constantTerm = constant * VectorOps.dot(scales, s * groups, groupSums, t * groups, groups);
                        if (codebook.offsets() != null) constantTerm += VectorOps.dot(offsets, s * groups, groupSums, t * groups, groups);
                        y[t * rows + r + s * stride] = dots[s] + constantTerm;
                    }
                }
            });
        });
    }

    /**
     * dots[s] = Σ_k scale_k · Σ_{i∈k} (c_i − 128)·x_i for the rows r + s·stride, s = 0..3, read through
     * {@link WeightMemory#EVERYWHERE} (rows within the matrix, so within {@code codes}), in one counted loop over
     * their columns: n codes of each row at a time read straight into n floats (a sign extension and a
     * conversion), multiplied with x and scaled by their group's scale (scales of row s from s·groups), found by a
     * shift. Four rows far apart ({@link FourStreams}) also give four independent chains of FMAs. The sums are
     * taken of zero + accumulator, whose class C2 knows (docs/KERNELS.md, "What C2 needs").
     */
    private void dotRows(int r, int stride, float[] x, int xOff, float[] scales, float[] dots) {
        int cols = codebook.layout().cols(), groups = codebook.layout().groupsPerRow(), n = F.length(), shift = groupShift;
        long w0 = codes.address() + (long) r * cols, w1 = w0 + (long) stride * cols, w2 = w1 + (long) stride * cols, w3 = w2 + (long) stride * cols;
        FloatVector zero = FloatVector.zero(F), a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        int end = cols - (B.length() - n); // with 128-bit vectors a load reads 8 codes, 4 used: the last 4 come from tail
        for (int i = 0; i < end; i += n) {
            FloatVector xi = FloatVector.fromArray(F, x, xOff + i);
            int k = i >>> shift;
            a0 = codesAt(w0 + i).mul(xi).fma(FloatVector.broadcast(F, scales[k]), a0);
            a1 = codesAt(w1 + i).mul(xi).fma(FloatVector.broadcast(F, scales[groups + k]), a1);
            a2 = codesAt(w2 + i).mul(xi).fma(FloatVector.broadcast(F, scales[2 * groups + k]), a2);
            a3 = codesAt(w3 + i).mul(xi).fma(FloatVector.broadcast(F, scales[3 * groups + k]), a3);
        }
        dots[0] = VectorOps.sum(zero.add(a0)) + tail(w0 - codes.address(), end, x, xOff, scales, 0);
        dots[1] = VectorOps.sum(zero.add(a1)) + tail(w1 - codes.address(), end, x, xOff, scales, groups);
        dots[2] = VectorOps.sum(zero.add(a2)) + tail(w2 - codes.address(), end, x, xOff, scales, 2 * groups);
        dots[3] = VectorOps.sum(zero.add(a3)) + tail(w3 - codes.address(), end, x, xOff, scales, 3 * groups);
        Reference.reachabilityFence(codes);
    }

    /** The columns from {@code from} that the vector loop left, one by one. */
    private float tail(long w, int from, float[] x, int xOff, float[] scales, int scaleAt) {
        float sum = 0;
        for (int i = from, cols = codebook.layout().cols(); i < cols; i++) {
            sum += scales[scaleAt + (i >>> groupShift)] * (((codes.get(ValueLayout.JAVA_BYTE, w + i) & 0xFF) - 128) * x[xOff + i]);
        }
        return sum;
    }

    /** n codes at {@code address} as the floats c − 128. */
    private static FloatVector codesAt(long address) {
        return (FloatVector) ByteVector.fromMemorySegment(B, WeightMemory.EVERYWHERE, address, ByteOrder.LITTLE_ENDIAN)
                .lanewise(VectorOperators.XOR, (byte) 0x80).convertShape(VectorOperators.B2F, F, 0);
    }
}
