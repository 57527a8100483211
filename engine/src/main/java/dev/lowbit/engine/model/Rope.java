package dev.lowbit.engine.model;

/**
 * Rotary position embeddings with precomputed cos/sin tables, one row per position.
 *
 * <p>Frequency i (of f = frequencies.length ≤ headDim/2) rotates either the adjacent pair (2i, 2i+1) or the pair
 * (i, i + f), depending on the checkpoint's convention ({@link RopeStyle}); dimensions from 2f on pass unrotated
 * (partial rotary, as ggml's {@code n_rot}).
 */
public final class Rope {
    private final RopeStyle style;
    private final int headDim;
    private final int pairs; // rotated pairs per head
    private final int maxPositions;
    private final float[] cos;
    private final float[] sin;

    /** @param inverseFrequencies headDim/2 angular frequencies, radians per position */
    public Rope(RopeStyle style, int headDim, int maxPositions, double[] inverseFrequencies) {
        this(style, headDim, maxPositions, inverseFrequencies, 1f);
    }

    /**
     * @param inverseFrequencies up to headDim/2 angular frequencies, radians per position
     * @param magnitude factor on cos and sin (LongRoPE's attention factor; 1 for a pure rotation)
     */
    public Rope(RopeStyle style, int headDim, int maxPositions, double[] inverseFrequencies, float magnitude) {
        if (inverseFrequencies.length == 0 || inverseFrequencies.length > headDim / 2) {
            throw new IllegalArgumentException("need up to " + headDim / 2 + " frequencies, got " + inverseFrequencies.length);
        }
        this.style = style;
        this.headDim = headDim;
        this.pairs = inverseFrequencies.length;
        this.maxPositions = maxPositions;
        this.cos = new float[maxPositions * pairs];
        this.sin = new float[maxPositions * pairs];
        for (int p = 0; p < maxPositions; p++) {
            for (int i = 0; i < pairs; i++) {
                double angle = p * inverseFrequencies[i];
                cos[p * pairs + i] = (float) (magnitude * Math.cos(angle));
                sin[p * pairs + i] = (float) (magnitude * Math.sin(angle));
            }
        }
    }

    /** The standard frequencies theta^(-2i/headDim). */
    public static double[] standardFrequencies(int headDim, double theta) {
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) f[i] = Math.pow(theta, -2.0 * i / headDim);
        return f;
    }

    public int maxPositions() {
        return maxPositions;
    }

    /**
     * Rotates {@code batch} vectors of {@code nHeads} heads each, laid out contiguously in {@code x};
     * vector t sits at position {@code pos0 + t}.
     */
    public void apply(float[] x, int batch, int nHeads, int pos0) {
        rotate(x, 0, batch, nHeads, pos0, 1f);
    }

    /** Rotates vector {@code row} of x (of {@code nHeads} heads), which sits at position {@code pos}. */
    public void applyAt(float[] x, int row, int nHeads, int pos) {
        rotate(x, row, 1, nHeads, pos - row, 1f);
    }

    /**
     * The inverse (and transpose) of {@link #apply} when the magnitude is 1: rotates by the negative angles. The backward pass sends a
     * gradient through RoPE with it.
     */
    public void applyInverse(float[] x, int batch, int nHeads, int pos0) {
        rotate(x, 0, batch, nHeads, pos0, -1f);
    }

    /** Vectors first .. first+batch of x; vector t sits at position pos0 + t. */
    private void rotate(float[] x, int first, int batch, int nHeads, int pos0, float sign) {
        int stride = nHeads * headDim;
        for (int t = first; t < first + batch; t++) {
            int row = (pos0 + t) * pairs;
            for (int h = 0; h < nHeads; h++) {
                int base = t * stride + h * headDim;
                for (int i = 0; i < pairs; i++) {
                    int a = style == RopeStyle.ADJACENT_PAIRS ? base + 2 * i : base + i;
                    int b = style == RopeStyle.ADJACENT_PAIRS ? a + 1 : a + pairs;
                    float c = cos[row + i], s = sign * sin[row + i];
                    float xa = x[a], xb = x[b];
                    x[a] = xa * c - xb * s;
                    x[b] = xa * s + xb * c;
                }
            }
        }
    }
}
