package dev.lowbit.kernels;

/**
 * A linear layer's weights, {@code rows} outputs by {@code cols} inputs, however they are stored.
 *
 * <p>The model only ever multiplies: {@code y[t] = W · x[t]} for each of {@code batch} vectors laid out
 * contiguously ({@code x} is {@code batch × cols}, {@code y} is {@code batch × rows}). Implementations
 * (fp32, dequantizing, table lookup) differ only in how they store and multiply.
 */
public interface WeightMatrix {

    int rows();

    int cols();

    /** {@code y[t·rows + r] = Σ_c W[r][c] · x[t·cols + c]} for t in {@code [0, batch)}. */
    void multiply(float[] x, float[] y, int batch, WorkerPool pool);

    /** Writes row {@code row} as floats into {@code dst[offset .. offset + cols)}: embedding lookup. */
    void readRow(int row, float[] dst, int offset);

    /** Every row as floats, row-major ({@code rows × cols}): a full-precision copy for quantizers and the backward pass. */
    default float[] readAll() {
        float[] v = new float[Math.multiplyExact(rows(), cols())];
        for (int r = 0; r < rows(); r++) readRow(r, v, r * cols());
        return v;
    }

    /** Bytes the weights occupy in memory (or in the mapped file). */
    long byteSize();

    /** Short human-readable storage type, for example {@code f32}. */
    String typeName();

    default void multiply(float[] x, float[] y, WorkerPool pool) {
        multiply(x, y, 1, pool);
    }

    /**
     * The form this matrix reads a one-token input in (ggml's {@code vec_dot_type}): plain floats, or tables for
     * the table-lookup kernel. Matrices reading the same vector in equal forms share one prepared input
     * ({@link MatrixGroup}).
     */
    default InputForm inputForm() {
        return InputForm.FLOATS;
    }

    /** {@code y = W · x} for one token, x prepared in {@link #inputForm()}. */
    default void multiply(PreparedInput in, float[] y, WorkerPool pool) {
        multiply(in.floats(), y, 1, pool);
    }

    /**
     * Units into which one token's product splits, for a parallel loop shared with other matrices that read the
     * same input ({@link MatrixGroup}: one dispatch and one wait for q, k and v together); 0 (the default) when the
     * matrix runs on its own, through {@link #multiply(PreparedInput, float[], WorkerPool)}.
     */
    default int units() {
        return 0;
    }

    /**
     * Runs unit {@code unit} of one token's product into y, or into {@code partials[at ..]}, which
     * {@link #addPartials} adds to y once every unit is done.
     */
    default void multiplyUnit(int unit, PreparedInput in, float[] y, float[] partials, int at) {
        throw new UnsupportedOperationException(typeName() + " is not split into units");
    }

    /** Floats of {@code partials} that the units use. */
    default int partialFloats() {
        return 0;
    }

    /** Adds the units' partial sums to y, in a fixed order. */
    default void addPartials(float[] y, float[] partials, int at) {}
}
