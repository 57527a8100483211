package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row-major little-endian fp32 weights in a memory segment (usually a slice of a memory-mapped file).
 *
 * <p>Decode (batch 1) takes four rows far apart at once ({@link FourStreams}). Prefill processes four tokens per pass over a row so that
 * each weight vector loaded from memory feeds four fused multiply-adds; tokens are taken in blocks so that
 * the block's activations stay in cache while the rows stream by.
 */
public final class F32Matrix implements WeightMatrix {

    private static final VectorSpecies<Float> F = VectorOps.F;
    /** Tokens per block in prefill: 16 × cols floats of activations stay in L2 for any width we meet. */
    private static final int TOKEN_BLOCK = 16;
    /** Below this many multiply-adds per thread, waking a worker costs more than it saves. */
    private static final int MIN_WORK_PER_THREAD = 1 << 15;

    private final MemorySegment data;
    private final int rows;
    private final int cols;

    /** {@code data} must hold exactly {@code rows × cols} floats. */
    public F32Matrix(MemorySegment data, int rows, int cols) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("bad shape " + rows + "x" + cols);
        if (data.byteSize() != 4L * rows * cols) {
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes cannot hold " + rows + "x" + cols + " floats");
        }
        this.data = data;
        this.rows = rows;
        this.cols = cols;
    }

    /** Copies {@code values} ({@code rows × cols}, row-major) into a new off-heap segment, freed by the GC. */
    public static F32Matrix of(float[] values, int rows, int cols) {
        return filled(WeightMemory.allocate(4L * rows * cols), values, rows, cols);
    }

    /** Copies {@code values} into native memory of {@code arena} (which decides when it is freed). */
    public static F32Matrix of(float[] values, int rows, int cols, java.lang.foreign.Arena arena) {
        return filled(arena.allocate(4L * rows * cols, 64), values, rows, cols);
    }

    private static F32Matrix filled(MemorySegment seg, float[] values, int rows, int cols) {
        MemorySegment.copy(values, 0, seg, VectorOps.LE_FLOAT, 0, Math.multiplyExact(rows, cols));
        return new F32Matrix(seg, rows, cols);
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public long byteSize() { return data.byteSize(); }
    @Override public String typeName() { return "f32"; }

    public MemorySegment data() {
        return data;
    }

    @Override
    public void readRow(int row, float[] dst, int offset) {
        java.util.Objects.checkIndex(row, rows);
        MemorySegment.copy(data, VectorOps.LE_FLOAT, 4L * row * cols, dst, offset, cols);
    }

    @Override
    public void multiply(float[] x, float[] y, int batch, WorkerPool pool) {
        int minRows = Math.max(1, MIN_WORK_PER_THREAD / (cols * batch) + 1);
        if (batch > 1 || !data.isNative()) { // heap segments (a quantizer's views of arrays): one row at a time
            pool.parallelFor(rows, minRows, (from, to) -> multiplyRows(x, y, batch, from, to));
            return;
        }
        WeightMemory.checkAlive(data);
        FourStreams.multiply(rows, cols, x, y, 1, pool, MIN_WORK_PER_THREAD, this::dotRows);
    }

    /**
     * dots[s] = Σ_i w(r + s·stride, i)·x[xOff + i] for s = 0..3, read through {@link WeightMemory#EVERYWHERE}
     * (rows within the matrix, so within {@code data}): four streams from memory, as the int8 and f16 kernels.
     */
    private void dotRows(int r, int stride, float[] x, int xOff, float[] dots) {
        int n = F.length(), end = F.loopBound(cols);
        long w0 = data.address() + 4L * r * cols, step = 4L * stride * cols, w1 = w0 + step, w2 = w1 + step, w3 = w2 + step;
        FloatVector zero = FloatVector.zero(F), a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int i = 0; i < end; i += n) {
            FloatVector xi = FloatVector.fromArray(F, x, xOff + i);
            a0 = VectorOps.load(WeightMemory.EVERYWHERE, w0 + 4L * i).fma(xi, a0);
            a1 = VectorOps.load(WeightMemory.EVERYWHERE, w1 + 4L * i).fma(xi, a1);
            a2 = VectorOps.load(WeightMemory.EVERYWHERE, w2 + 4L * i).fma(xi, a2);
            a3 = VectorOps.load(WeightMemory.EVERYWHERE, w3 + 4L * i).fma(xi, a3);
        }
        long base = data.address();
        dots[0] = VectorOps.sum(zero.add(a0)) + tail(w0 - base, end, x, xOff);
        dots[1] = VectorOps.sum(zero.add(a1)) + tail(w1 - base, end, x, xOff);
        dots[2] = VectorOps.sum(zero.add(a2)) + tail(w2 - base, end, x, xOff);
        dots[3] = VectorOps.sum(zero.add(a3)) + tail(w3 - base, end, x, xOff);
        Reference.reachabilityFence(data);
    }

    /** The columns from {@code from} that no whole vector covers. */
    private float tail(long row, int from, float[] x, int xOff) {
        float sum = 0;
        for (int i = from; i < cols; i++) sum += data.get(VectorOps.LE_FLOAT, row + 4L * i) * x[xOff + i];
        return sum;
    }

    private void multiplyRows(float[] x, float[] y, int batch, int from, int to) {
        for (int t0 = 0; t0 < batch; t0 += TOKEN_BLOCK) {
            int t1 = Math.min(batch, t0 + TOKEN_BLOCK);
            for (int r = from; r < to; r++) {
                long w = 4L * r * cols;
                int t = t0;
                for (; t + 4 <= t1; t += 4) dot4(w, x, t, y, r);
                for (; t < t1; t++) y[t * rows + r] = VectorOps.dot(data, w, x, t * cols, cols);
            }
        }
    }

    /** Row {@code r} (at byte offset w) against tokens t..t+3, each weight vector loaded once. */
    private void dot4(long w, float[] x, int t, float[] y, int r) {
        int x0 = t * cols, x1 = x0 + cols, x2 = x1 + cols, x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(cols); i < bound; i += F.length()) {
            FloatVector wv = VectorOps.load(data, w + 4L * i);
            a0 = wv.fma(FloatVector.fromArray(F, x, x0 + i), a0);
            a1 = wv.fma(FloatVector.fromArray(F, x, x1 + i), a1);
            a2 = wv.fma(FloatVector.fromArray(F, x, x2 + i), a2);
            a3 = wv.fma(FloatVector.fromArray(F, x, x3 + i), a3);
        }
        float s0 = VectorOps.sum(a0), s1 = VectorOps.sum(a1), s2 = VectorOps.sum(a2), s3 = VectorOps.sum(a3);
        for (; i < cols; i++) {
            float wi = data.get(VectorOps.LE_FLOAT, w + 4L * i);
            s0 += wi * x[x0 + i];
            s1 += wi * x[x1 + i];
            s2 += wi * x[x2 + i];
            s3 += wi * x[x3 + i];
        }
        y[t * rows + r] = s0;
        y[(t + 1) * rows + r] = s1;
        y[(t + 2) * rows + r] = s2;
        y[(t + 3) * rows + r] = s3;
    }
}
