package dev.lowbit.engine.train;

/**
 * RMSNorm of consecutive vectors of width n, y = x · g / rms(x) with rms(x) = sqrt(mean(x²) + eps), and its reverse
 * mode. The forward pass keeps 1/rms of each vector for the backward pass.
 */
final class RmsNormGrad {
    private RmsNormGrad() {}

    /** y[i] = x[i] · inv[i] · g for {@code count} vectors; fills inv. */
    static void forward(float[] x, float[] g, float[] y, float[] inv, int count, int n, float eps) {
        for (int i = 0; i < count; i++) {
            int o = i * n;
            double ss = 0;
            for (int j = 0; j < n; j++) ss += (double) x[o + j] * x[o + j];
            float s = (float) (1.0 / Math.sqrt(ss / n + eps));
            inv[i] = s;
            for (int j = 0; j < n; j++) y[o + j] = x[o + j] * s * g[j];
        }
    }

    /**
     * dx[i] += s · (g ⊙ dy) − x · s³ / n · Σ (g ⊙ dy ⊙ x), and dg += Σ_i dy ⊙ x · s (dg may be null), with s = inv[i].
     */
    static void backward(float[] dy, float[] x, float[] g, float[] inv, float[] dx, float[] dg, int count, int n) {
        for (int i = 0; i < count; i++) {
            int o = i * n;
            float s = inv[i];
            double dot = 0;
            for (int j = 0; j < n; j++) dot += (double) g[j] * dy[o + j] * x[o + j];
            float c = (float) (dot * s * s * s / n);
            for (int j = 0; j < n; j++) {
                dx[o + j] += s * g[j] * dy[o + j] - x[o + j] * c;
                if (dg != null) dg[j] += dy[o + j] * x[o + j] * s;
            }
        }
    }
}
