package dev.lowbit.engine.train;

/**
 * The gradients of one block's parameters, shaped like them and summed over the tokens of every window the
 * backward pass has seen since {@link #clear}. Null where the block has no such parameter.
 */
public record BlockGradients(float[] attnNorm, float[][] linears, float[] qBias, float[] kBias, float[] vBias, float[] qNorm,
                             float[] kNorm, float[] ffnNorm) {

    public static BlockGradients zerosLike(DenseBlock b) {
        Dense[] l = b.linears();
        float[][] g = new float[l.length][];
        for (int i = 0; i < l.length; i++) g[i] = new float[l[i].w().length];
        return new BlockGradients(new float[b.attnNorm().length], g, zerosLike(b.qBias()), zerosLike(b.kBias()), zerosLike(b.vBias()),
                zerosLike(b.qNorm()), zerosLike(b.kNorm()), new float[b.ffnNorm().length]);
    }

    private static float[] zerosLike(float[] v) {
        return v == null ? null : new float[v.length];
    }

    /** The gradient of linear i (q, k, v, o, gate, up, down). */
    public float[] linear(int i) {
        return linears[i];
    }

    public void clear() {
        for (float[] g : linears) java.util.Arrays.fill(g, 0f);
        for (float[] v : new float[][] {attnNorm, qBias, kBias, vBias, qNorm, kNorm, ffnNorm}) if (v != null) java.util.Arrays.fill(v, 0f);
    }
}
