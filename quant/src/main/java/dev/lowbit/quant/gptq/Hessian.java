package dev.lowbit.quant.gptq;

import dev.lowbit.kernels.VectorOps;
import dev.lowbit.kernels.WorkerPool;

/**
 * The input statistics GPTQ needs of one linear layer: Σ xᵀx over the calibration tokens (n × n, accumulated in
 * double from fp32 products over each batch), and the token count. H = 2·Σ xᵀx / tokens.
 */
public final class Hessian {
    private final int n;
    private final double[] sum;
    private long tokens;

    public Hessian(int n) {
        this.n = n;
        this.sum = new double[Math.multiplyExact(n, n)];
    }

    public int size() {
        return n;
    }

    public long tokens() {
        return tokens;
    }

    /** Adds {@code batch} input rows of width n ({@code x}, row-major). */
    public void add(float[] x, int batch, WorkerPool pool) {
        float[] xt = new float[n * batch]; // columns of x as rows: each entry of H is then one dot product
        for (int t = 0; t < batch; t++) for (int i = 0; i < n; i++) xt[i * batch + t] = x[t * n + i];
        pool.parallelChunks(n, 8, (i0, i1) -> {
            for (int i = i0; i < i1; i++) {
                for (int j = i; j < n; j++) sum[i * n + j] += VectorOps.dot(xt, i * batch, xt, j * batch, batch);
            }
        });
        tokens += batch;
    }

    /** H = 2·Σ xᵀx / tokens, both triangles filled. */
    public double[] matrix() {
        if (tokens == 0) throw new IllegalStateException("no calibration inputs recorded");
        double[] h = new double[sum.length];
        double f = 2.0 / tokens;
        for (int i = 0; i < n; i++) {
            for (int j = i; j < n; j++) h[i * n + j] = h[j * n + i] = f * sum[i * n + j];
        }
        return h;
    }
}
