package dev.lowbit.engine.train;

/** SwiGLU, h = silu(g) · u with silu(v) = v · σ(v), and its reverse mode. */
final class SwigluGrad {
    private SwigluGrad() {}

    static void forward(float[] gate, float[] up, float[] h, int n) {
        for (int i = 0; i < n; i++) h[i] = gate[i] / (1f + (float) Math.exp(-gate[i])) * up[i];
    }

    /** dg = dh · u · σ(g) · (1 + g · (1 − σ(g))), du = dh · silu(g); both overwritten. */
    static void backward(float[] dh, float[] gate, float[] up, float[] dGate, float[] dUp, int n) {
        for (int i = 0; i < n; i++) {
            float g = gate[i];
            float sig = 1f / (1f + (float) Math.exp(-g));
            dGate[i] = dh[i] * up[i] * sig * (1f + g * (1f - sig));
            dUp[i] = dh[i] * g * sig;
        }
    }
}
