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

    /** Bytes the weights occupy in memory (or in the mapped file). */
    long byteSize();

    /** Short human-readable storage type, for example {@code f32}. */
    String typeName();

    default void multiply(float[] x, float[] y, WorkerPool pool) {
        multiply(x, y, 1, pool);
    }

    /** The matrix that multiplies: a wrapper that checks its data on first use checks it and returns what it wraps. */
    default WeightMatrix prepared() {
        return this;
    }

    /**
     * {@code ys[i] = ws[i] · x} for matrices that read the same input. Table-lookup matrices decoding one token run
     * as one parallel loop ({@link LutMatrix#multiplyTogether}); everything else runs one matrix after another.
     */
    static void multiplyEach(WeightMatrix[] ws, float[] x, float[][] ys, int batch, WorkerPool pool) {
        if (ws.length != ys.length) throw new IllegalArgumentException(ws.length + " matrices, " + ys.length + " outputs");
        if (batch == 1 && LutMatrix.vectorKernelAvailable() && ws.length > 1) {
            LutMatrix[] luts = new LutMatrix[ws.length];
            boolean all = true;
            for (int i = 0; i < ws.length && all; i++) {
                if (ws[i].prepared() instanceof LutMatrix m && m.cols() == ws[0].cols()) luts[i] = m;
                else all = false;
            }
            if (all) {
                LutMatrix.multiplyTogether(luts, x, ys, pool);
                return;
            }
        }
        for (int i = 0; i < ws.length; i++) ws[i].multiply(x, ys[i], batch, pool);
    }
}
