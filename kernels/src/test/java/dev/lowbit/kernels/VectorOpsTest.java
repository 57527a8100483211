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

    /** Attention's two row kernels against double-precision sums, for dims with runs of four vectors, single vectors and a scalar tail. */
    @Test
    void rowDotsAndWeightedRowSumsMatchDoubleSums() {
        Random r = new Random(5);
        for (int dim : new int[] {64, 128, 80, 20, 7}) {
            for (int count : new int[] {1, 3, 37}) {
                float[] rows = F32MatrixTest.random(r, 2 + count * dim), q = F32MatrixTest.random(r, 3 + dim), w = F32MatrixTest.random(r, 1 + count);
                float[] scores = new float[4 + count], mixed = new float[5 + dim];
                VectorOps.scaledRowDots(scores, 4, q, 3, rows, 2, count, dim, 0.25f);
                VectorOps.weightedRowSum(mixed, 5, w, 1, rows, 2, count, dim);
                for (int p = 0; p < count; p++) {
                    double dot = 0, size = 0;
                    for (int d = 0; d < dim; d++) {
                        dot += (double) q[3 + d] * rows[2 + p * dim + d];
                        size += Math.abs((double) q[3 + d] * rows[2 + p * dim + d]);
                    }
                    assertEquals(0.25 * dot, scores[4 + p], 1e-6 * size, "dim " + dim + " row " + p);
                }
                for (int d = 0; d < dim; d++) {
                    double sum = 0, size = 0;
                    for (int p = 0; p < count; p++) {
                        sum += (double) w[1 + p] * rows[2 + p * dim + d];
                        size += Math.abs((double) w[1 + p] * rows[2 + p * dim + d]);
                    }
                    assertEquals(sum, mixed[5 + d], 1e-6 * size, "dim " + dim + " column " + d);
                }
            }
        }
    }
}
