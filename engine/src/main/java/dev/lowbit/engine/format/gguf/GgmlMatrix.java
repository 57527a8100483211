package dev.lowbit.engine.format.gguf;

import dev.lowbit.kernels.VectorOps;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import java.lang.foreign.MemorySegment;

/**
 * A GGUF matrix in its ggml block type, read in place from the mapped file: rows are dequantized on the fly
 * (exactly as ggml defines each type) and multiplied in fp32. Correct for every readable type; not the fast
 * path — {@code lowbit quantize} turns such a model into table-lookup weights.
 */
public final class GgmlMatrix implements WeightMatrix {
    private static final int MIN_ROWS_PER_THREAD = 16;

    private final GgmlType type;
    private final MemorySegment data;
    private final int rows;
    private final int cols;
    private final long rowBytes;

    public GgmlMatrix(GgmlType type, MemorySegment data, int rows, int cols) {
        if (!type.readable) throw new IllegalArgumentException("tensor type " + type + " is not supported");
        if (cols % type.blockSize != 0) throw new IllegalArgumentException(cols + " columns are not whole " + type + " blocks");
        this.type = type;
        this.rowBytes = type.bytesFor(cols);
        if (data.byteSize() != rowBytes * rows) throw new IllegalArgumentException("segment of " + data.byteSize() + " bytes for " + rows + " rows of " + rowBytes);
        this.data = data;
        this.rows = rows;
        this.cols = cols;
    }

    /** {@code n} values of a vector stored as {@code type}. */
    public static float[] floats(GgmlType type, MemorySegment data, int n) {
        if (!type.readable || data.byteSize() < type.bytesFor(n)) throw new IllegalArgumentException("cannot read " + n + " " + type + " values");
        float[] v = new float[n];
        GgmlDequant.row(type, data, 0, v, 0, n);
        return v;
    }

    @Override public int rows() { return rows; }
    @Override public int cols() { return cols; }
    @Override public long byteSize() { return data.byteSize(); }
    @Override public String typeName() { return type.name().toLowerCase(); }

    @Override
    public void readRow(int row, float[] dst, int offset) {
        java.util.Objects.checkIndex(row, rows);
        GgmlDequant.row(type, data, row * rowBytes, dst, offset, cols);
    }

    @Override
    public void multiply(float[] x, float[] y, int batch, WorkerPool pool) {
        pool.parallelFor(rows, MIN_ROWS_PER_THREAD, (from, to) -> {
            float[] w = new float[cols];
            for (int r = from; r < to; r++) {
                readRow(r, w, 0);
                for (int t = 0; t < batch; t++) y[t * rows + r] = VectorOps.dot(w, 0, x, t * cols, cols);
            }
        });
    }
}
