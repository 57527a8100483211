package dev.lowbit.quant.awq;

import dev.lowbit.kernels.WeightMatrix;
import java.util.Arrays;

/**
 * Calibration windows: each starts with BOS and holds up to {@code len − 1} consecutive text tokens. When the text
 * has more full windows than asked for, the chosen ones are spread evenly over it.
 */
public record CalibrationSet(int[][] windows, String description) {
    public CalibrationSet {
        if (windows.length == 0) throw new IllegalArgumentException("no calibration windows");
        for (int[] w : windows) if (w.length < 2) throw new IllegalArgumentException("calibration window shorter than 2 tokens");
    }

    /** {@code samples} windows of {@code len} tokens from {@code text} (token ids), each led by {@code bos}. */
    public static CalibrationSet of(int[] text, int bos, int samples, int len, String source) {
        if (samples < 1) throw new IllegalArgumentException("--calib-samples must be positive");
        if (len < 2) throw new IllegalArgumentException("--calib-len must be at least 2");
        if (text.length == 0) throw new IllegalArgumentException(source + ": the calibration text has no tokens");
        int body = len - 1;
        int available = text.length / body;
        int[][] windows;
        if (available == 0) {
            windows = new int[][] {window(text, 0, text.length, bos)};
        } else {
            int n = Math.min(samples, available);
            windows = new int[n][];
            for (int i = 0; i < n; i++) windows[i] = window(text, (int) ((long) i * available / n) * body, body, bos);
        }
        long tokens = 0;
        for (int[] w : windows) tokens += w.length;
        String description = String.format("%s: %d windows of %d tokens (%,d tokens; %,d in the text)", source, windows.length,
                windows[0].length, tokens, text.length);
        return new CalibrationSet(windows, description);
    }

    private static int[] window(int[] text, int start, int n, int bos) {
        int[] w = new int[n + 1];
        w[0] = bos;
        System.arraycopy(text, start, w, 1, n);
        return w;
    }

    /** The residual stream of every window at the first block's input: its tokens' embedding rows (tokens × dim). */
    public static float[][] embed(int[][] windows, WeightMatrix embedding, int vocabSize) {
        int dim = embedding.cols();
        float[][] x = new float[windows.length][];
        for (int w = 0; w < x.length; w++) {
            int[] tokens = windows[w];
            x[w] = new float[tokens.length * dim];
            for (int t = 0; t < tokens.length; t++) {
                if (tokens[t] < 0 || tokens[t] >= vocabSize) throw new IllegalArgumentException("calibration token " + tokens[t] + " out of range");
                embedding.readRow(tokens[t], x[w], t * dim);
            }
        }
        return x;
    }

    /** The length of the longest window. */
    public static int longest(int[][] windows) {
        int n = 0;
        for (int[] w : windows) n = Math.max(n, w.length);
        return n;
    }

    public int tokens() {
        return Arrays.stream(windows).mapToInt(w -> w.length).sum();
    }
}
