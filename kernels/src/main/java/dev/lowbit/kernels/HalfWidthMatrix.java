package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Row-major little-endian 16-bit floats used in place ({@link F16Matrix}, {@link Bf16Matrix}): what the two share.
 * Each keeps its own dot-product loop ({@link #dotRows}), the same loop around a different widening: written once
 * with the widening passed in, C2 would merge two vector values, which it boxes (docs/KERNELS.md, "What C2 needs").
 */
abstract sealed class HalfWidthMatrix implements WeightMatrix permits F16Matrix, Bf16Matrix {
    static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MIN_WORK_PER_THREAD = 1 << 15;
    static final VectorSpecies<Float> F = VectorOps.F;
    static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    static final VectorSpecies<Short> H = VectorSpecies.of(short.class, VectorShape.forBitSize(16 * F.length())); // n shorts

    final MemorySegment data;
    final int rows;
    final int cols;

    /** {@code values} names what the segment holds, for the error message. */
    HalfWidthMatrix(MemorySegment data, int rows, int cols, String values) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("bad shape " + rows + "x" + cols);
        if (data.byteSize() != 2L * rows * cols) {
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes cannot hold " + rows + "x" + cols + " " + values);
        }
        this.data = WeightMemory.nativeOf(data);
        this.rows = rows;
        this.cols = cols;
    }

    /** One stored value as a float. */
    abstract float toFloat(short bits);

    /**
     * dots[s] = Σ_i w(r + s·stride, i)·x_i for s = 0..3, read through {@link WeightMemory#EVERYWHERE} (rows within
     * the matrix, so within {@code data}), in one loop: n values of each row widened to n floats.
     */
    abstract void dotRows(int r, int stride, float[] x, int xOff, float[] dots);

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public long byteSize() { return data.byteSize(); }

    public MemorySegment data() {
        return data;
    }

    @Override
    public void readRow(int row, float[] dst, int offset) {
        java.util.Objects.checkIndex(row, rows);
        long base = 2L * row * cols;
        for (int c = 0; c < cols; c++) dst[offset + c] = toFloat(data.get(LE_SHORT, base + 2L * c));
    }

    @Override
    public void multiply(float[] x, float[] y, int batch, WorkerPool pool) {
        WeightMemory.checkAlive(data);
        FourStreams.multiply(rows, cols, x, y, batch, pool, MIN_WORK_PER_THREAD, this::dotRows);
    }

    /** The columns from {@code from} that no whole vector covers, of the row at byte {@code row} of the data. */
    final float tail(long row, int from, float[] x, int xOff) {
        float sum = 0;
        for (int i = from; i < cols; i++) sum += toFloat(data.get(LE_SHORT, row + 2L * i)) * x[xOff + i];
        return sum;
    }
}
