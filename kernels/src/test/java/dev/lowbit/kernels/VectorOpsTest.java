package dev.lowbit.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class VectorOpsTest {
    @Test
    void helpersMatchScalarFormulas() {
        Random r = new Random(3);
        for (int n : new int[] {1, 7, 16, 33, 100}) {
            float[] x = F32MatrixTest.random(r, n), w = F32MatrixTest.random(r, n);
            double dot = 0, ss = 0;
            for (int i = 0; i < n; i++) {
                dot += (double) x[i] * w[i];
                ss += (double) x[i] * x[i];
            }
            assertEquals(dot, VectorOps.dot(x, 0, w, 0, n), 1e-4);

            float[] out = new float[n];
            VectorOps.rmsNorm(out, 0, x, 0, w, n, 1e-5f);
            double inv = 1 / Math.sqrt(ss / n + 1e-5);
            for (int i = 0; i < n; i++) assertEquals(x[i] * inv * w[i], out[i], 1e-5);

            float[] s = x.clone();
            VectorOps.softmax(s, 0, n);
            double z = 0;
            for (float v : x) z += Math.exp(v);
            for (int i = 0; i < n; i++) assertEquals(Math.exp(x[i]) / z, s[i], 1e-6);

            float[] g = x.clone();
            VectorOps.swiglu(g, w, n);
            for (int i = 0; i < n; i++) assertEquals(x[i] / (1 + Math.exp(-x[i])) * w[i], g[i], 1e-5);

            float[] acc = w.clone();
            VectorOps.axpy(acc, 0, 0.5f, x, 0, n);
            for (int i = 0; i < n; i++) assertEquals(w[i] + 0.5 * x[i], acc[i], 1e-6);
        }
    }
}
