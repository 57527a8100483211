package dev.lowbit.quant.awq;

import dev.lowbit.kernels.VectorOps;
import java.util.Arrays;

/**
 * What calibration keeps of one linear-layer input: the mean |x| of every channel over all calibration tokens,
 * and the rows of the scoring subsample (a bounded number of tokens), never every activation.
 */
final class InputStats {
    private final int cols;
    private final double[] sumAbs;
    private long tokens;
    private float[] rows = new float[0];
    private int rowCount;

    InputStats(int cols) {
        this.cols = cols;
        this.sumAbs = new double[cols];
    }

    int cols() {
        return cols;
    }

    /** Adds {@code batch} tokens of input; {@code keep} also stores them in the subsample. */
    void add(float[] input, int batch, boolean keep) {
        for (int t = 0; t < batch; t++) {
            for (int c = 0; c < cols; c++) sumAbs[c] += Math.abs(input[t * cols + c]);
        }
        tokens += batch;
        if (keep) {
            if ((long) (rowCount + batch) * cols > rows.length) rows = Arrays.copyOf(rows, Math.multiplyExact(Math.max(2 * rowCount, rowCount + batch), cols));
            System.arraycopy(input, 0, rows, rowCount * cols, batch * cols);
            rowCount += batch;
        }
    }

    /** Mean |x| per channel over every token seen. */
    float[] meanAbs() {
        float[] m = new float[cols];
        for (int c = 0; c < cols; c++) m[c] = (float) (sumAbs[c] / Math.max(1, tokens));
        return m;
    }

    /** The subsample, {@link #rowCount()} rows of {@code cols} floats (shared: do not modify). */
    float[] rows() {
        return rows;
    }

    int rowCount() {
        return rowCount;
    }

    /** The input after a fold that scales the weights' columns by s: x ← x / s (AWQ scores clipping on it). */
    void divideBy(float[] s) {
        for (int t = 0; t < rowCount; t++) for (int c = 0; c < cols; c++) rows[t * cols + c] /= s[c];
    }

    /**
     * Σₜ xₜxₜᵀ of the subsample restricted to each group of {@code g} consecutive channels (the last may be
     * shorter): the output error of a weight-row change d within a group is dᵀ G d, whatever the token count.
     */
    float[][] groupGrams(int g) {
        int groups = (cols + g - 1) / g;
        float[][] grams = new float[groups][];
        for (int k = 0; k < groups; k++) {
            int off = k * g, n = Math.min(g, cols - off);
            float[] gram = new float[n * n];
            for (int t = 0; t < rowCount; t++) {
                int base = t * cols + off;
                for (int i = 0; i < n; i++) VectorOps.axpy(gram, i * n, rows[base + i], rows, base, n);
            }
            grams[k] = gram;
        }
        return grams;
    }

    /** max / median of the per-channel mean |x|: how outlier-heavy the input is (1 for a flat one). */
    float outlierRatio() {
        float[] m = meanAbs();
        float[] sorted = m.clone();
        Arrays.sort(sorted);
        float median = sorted[sorted.length / 2];
        return median == 0 ? Float.POSITIVE_INFINITY : sorted[sorted.length - 1] / median;
    }
}
