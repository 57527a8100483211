package dev.lowbit.engine.train;

import dev.lowbit.kernels.VectorOps;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;

/**
 * A linear layer's weights as a plain row-major fp32 array ({@code rows × cols}), for the backward pass: y = W·x
 * for every token, and the two products of its reverse mode, dX = dY·W and dW += dYᵀ·X. Activations are
 * {@code tokens × width}, row-major.
 */
public record Dense(float[] w, int rows, int cols) {
    /** Below this many multiply-adds per thread, a product runs on the caller. */
    private static final int MIN_WORK = 1 << 14;

    public Dense {
        if (rows <= 0 || cols <= 0 || w.length != (long) rows * cols) {
            throw new IllegalArgumentException(w.length + " values for a " + rows + "x" + cols + " matrix");
        }
    }

    /** A copy of any weight matrix's values. */
    public static Dense of(WeightMatrix m) {
        return new Dense(m.readAll(), m.rows(), m.cols());
    }

    /** y[t] = W · x[t] (+ bias) for {@code tokens} tokens. */
    public void forward(float[] x, float[] bias, float[] y, int tokens, WorkerPool pool) {
        pool.parallelFor(rows, minRows(tokens), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                float b = bias == null ? 0 : bias[r];
                for (int t = 0; t < tokens; t++) y[t * rows + r] = VectorOps.dot(w, r * cols, x, t * cols, cols) + b;
            }
        });
    }

    /**
     * dx[t] += Wᵀ · dy[t]: the gradient of the input. Threads split the input columns, so each thread reads its
     * slice of every row of W once for all tokens (a loop over tokens outside would stream W once per token).
     */
    public void backwardInput(float[] dy, float[] dx, int tokens, WorkerPool pool) {
        int slices = (cols + SLICE - 1) / SLICE;
        pool.parallelFor(slices, Math.max(1, MIN_WORK / Math.max(1, rows * tokens * SLICE)), (s0, s1) -> {
            int c0 = s0 * SLICE, n = Math.min(cols, s1 * SLICE) - c0;
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < tokens; t++) {
                    float g = dy[t * rows + r];
                    if (g != 0) VectorOps.axpy(dx, t * cols + c0, g, w, r * cols + c0, n);
                }
            }
        });
    }

    /** Input columns per slice of {@link #backwardInput}: a slice of all tokens' gradients stays in cache. */
    private static final int SLICE = 256;

    /** dW += Σ_t dy[t] ⊗ x[t]: the gradient of the weights (same shape as W). */
    public void backwardWeights(float[] dy, float[] x, float[] dw, int tokens, WorkerPool pool) {
        pool.parallelFor(rows, minRows(tokens), (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                for (int t = 0; t < tokens; t++) {
                    float g = dy[t * rows + r];
                    if (g != 0) VectorOps.axpy(dw, r * cols, g, x, t * cols, cols);
                }
            }
        });
    }

    private int minRows(int tokens) {
        return Math.max(1, MIN_WORK / Math.max(1, tokens * cols));
    }
}
