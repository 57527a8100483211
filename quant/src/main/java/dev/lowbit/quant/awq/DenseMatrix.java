package dev.lowbit.quant.awq;

import dev.lowbit.kernels.F32Matrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.RtnQuantizer;

/** A mutable fp32 copy of a weight matrix (row-major), for folding scales and clipping before quantization. */
record DenseMatrix(float[] values, int rows, int cols) {
    DenseMatrix {
        if (values.length != (long) rows * cols) throw new IllegalArgumentException(values.length + " values for " + rows + "x" + cols);
    }

    static DenseMatrix of(WeightMatrix m) {
        return new DenseMatrix(m.readAll(), m.rows(), m.cols());
    }

    DenseMatrix copy() {
        return new DenseMatrix(values.clone(), rows, cols);
    }

    /** W ← W · diag(s): column c times s[c]. */
    void multiplyColumns(float[] s) {
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) values[r * cols + c] *= s[c];
    }

    /** W ← W · diag(s)⁻¹. */
    void divideColumns(float[] s) {
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) values[r * cols + c] /= s[c];
    }

    /** W ← diag(s)⁻¹ · W: row r divided by s[r]. */
    void divideRows(float[] s) {
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) values[r * cols + c] /= s[r];
    }

    /**
     * The function AWQ scores for scales s: Q(W · diag(s)) · diag(s)⁻¹, i.e. this matrix as the quantizer would
     * store it after the fold, seen from the unscaled input.
     */
    DenseMatrix quantizedWithScales(float[] s, RtnQuantizer q, WorkerPool pool) {
        DenseMatrix m = copy();
        m.multiplyColumns(s);
        pool.parallelFor(rows, 1, (from, to) -> {
            for (int r = from; r < to; r++) q.roundTrip(m.values, r * cols, cols);
        });
        m.divideColumns(s);
        return m;
    }

    /** A view of these values as a matrix, on the heap: fine for reading rows (the quantizer), slow to multiply. */
    WeightMatrix toMatrix() {
        return new F32Matrix(MemorySegment.ofArray(values), rows, cols);
    }

    /**
     * A copy in {@code arena}'s native memory, for multiplying: the Vector API loads from heap segments without
     * intrinsics (measured: 90% of an AWQ search's time), and an explicit arena frees it as soon as it is scored.
     */
    WeightMatrix toMatrix(Arena arena) {
        return F32Matrix.of(values, rows, cols, arena);
    }
}
