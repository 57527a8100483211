package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.ref.Reference;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row-major little-endian IEEE half-precision weights, widened to fp32 n at a time in the GEMV, four rows far apart
 * ({@link FourStreams}); {@link Bf16Matrix} is its twin for bfloat16. Infinite and NaN weights are read as large
 * finite values by the GEMV (the widening is exact for every finite half, subnormals included).
 */
public final class F16Matrix implements WeightMatrix {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MIN_WORK_PER_THREAD = 1 << 15;
    private static final VectorSpecies<Float> F = VectorOps.F;
    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * F.length())); // n shorts

    private final MemorySegment data;
    private final int rows;
    private final int cols;

    public F16Matrix(MemorySegment data, int rows, int cols) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("bad shape " + rows + "x" + cols);
        if (data.byteSize() != 2L * rows * cols) {
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes cannot hold " + rows + "x" + cols + " halfs");
        }
        this.data = WeightMemory.nativeOf(data);
        this.rows = rows;
        this.cols = cols;
    }

    /** Rounds {@code values} to half precision in a new off-heap segment. */
    public static F16Matrix of(float[] values, int rows, int cols) {
        MemorySegment seg = WeightMemory.allocate(2L * rows * cols);
        for (int i = 0; i < rows * cols; i++) seg.set(LE_SHORT, 2L * i, Float.floatToFloat16(values[i]));
        return new F16Matrix(seg, rows, cols);
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public long byteSize() { return data.byteSize(); }
    @Override public String typeName() { return "f16"; }

    public MemorySegment data() {
        return data;
    }

    @Override
    public void readRow(int row, float[] dst, int offset) {
        java.util.Objects.checkIndex(row, rows);
        long base = 2L * row * cols;
        for (int c = 0; c < cols; c++) dst[offset + c] = Float.float16ToFloat(data.get(LE_SHORT, base + 2L * c));
    }

    @Override
    public void multiply(float[] x, float[] y, int batch, WorkerPool pool) {
        WeightMemory.checkAlive(data);
        FourStreams.multiply(rows, cols, x, y, batch, pool, MIN_WORK_PER_THREAD, this::dotRows);
    }

    /**
     * dots[s] = Σ_i w(r + s·stride, i)·x_i for s = 0..3, read through {@link WeightMemory#EVERYWHERE} (rows within
     * the matrix, so within {@code data}), in one loop: n halves of each row widened to n floats. */
    private void dotRows(int r, int stride, float[] x, int xOff, float[] dots) {
        int n = F.length(), end = cols - cols % n;
        long w0 = data.address() + 2L * r * cols, step = 2L * stride * cols, w1 = w0 + step, w2 = w1 + step, w3 = w2 + step;
        FloatVector zero = FloatVector.zero(F), a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int i = 0; i < end; i += n) {
            FloatVector xi = FloatVector.fromArray(F, x, xOff + i);
            a0 = widen(w0 + 2L * i).fma(xi, a0);
            a1 = widen(w1 + 2L * i).fma(xi, a1);
            a2 = widen(w2 + 2L * i).fma(xi, a2);
            a3 = widen(w3 + 2L * i).fma(xi, a3);
        }
        dots[0] = VectorOps.sum(zero.add(a0)) + tail(w0 - data.address(), end, x, xOff);
        dots[1] = VectorOps.sum(zero.add(a1)) + tail(w1 - data.address(), end, x, xOff);
        dots[2] = VectorOps.sum(zero.add(a2)) + tail(w2 - data.address(), end, x, xOff);
        dots[3] = VectorOps.sum(zero.add(a3)) + tail(w3 - data.address(), end, x, xOff);
        Reference.reachabilityFence(data);
    }

    /** n halves at {@code address} as floats: the bits moved into float position, then rebiased (ScaleFormat.f16Bits). */
    private static FloatVector widen(long address) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(H, WeightMemory.EVERYWHERE, address, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
        return ScaleFormat.f16Floats(h);
    }

    /** The columns from {@code from} that no whole vector covers. */
    private float tail(long row, int from, float[] x, int xOff) {
        float sum = 0;
        for (int i = from; i < cols; i++) sum += Float.float16ToFloat(data.get(LE_SHORT, row + 2L * i)) * x[xOff + i];
        return sum;
    }
}
