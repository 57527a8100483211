package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Row-major little-endian IEEE half-precision weights; rows are widened to fp32 and multiplied. */
public final class F16Matrix implements WeightMatrix {
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int MIN_WORK_PER_THREAD = 1 << 15;

    private final MemorySegment data;
    private final int rows;
    private final int cols;

    public F16Matrix(MemorySegment data, int rows, int cols) {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("bad shape " + rows + "x" + cols);
        if (data.byteSize() != 2L * rows * cols) {
            throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes cannot hold " + rows + "x" + cols + " halfs");
        }
        this.data = data;
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
        pool.parallelFor(rows, Math.max(1, MIN_WORK_PER_THREAD / (cols * batch) + 1), (from, to) -> {
            float[] w = new float[cols];
            for (int r = from; r < to; r++) {
                readRow(r, w, 0);
                for (int t = 0; t < batch; t++) y[t * rows + r] = VectorOps.dot(w, 0, x, t * cols, cols);
            }
        });
    }
}
