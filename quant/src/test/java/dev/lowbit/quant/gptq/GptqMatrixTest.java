package dev.lowbit.quant.gptq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.GroupCodes;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.grid.Grid;
import dev.lowbit.quant.grid.Grids;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class GptqMatrixTest {
    static float[] random(SplittableRandom r, int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return v;
    }

    /** Correlated inputs with a few large channels, as activations have: N tokens × n. */
    static float[] inputs(SplittableRandom r, int tokens, int n) {
        float[] x = new float[tokens * n];
        float[] mix = random(r, n * n);
        for (int t = 0; t < tokens; t++) {
            float[] z = random(r, n);
            for (int i = 0; i < n; i++) {
                double s = z[i];
                for (int j = 0; j < n; j++) s += 0.3 * mix[i * n + j] * z[j];
                x[t * n + i] = (float) (s * (i % 7 == 0 ? 6 : 1));
            }
        }
        return x;
    }

    static double[] hessian(float[] x, int tokens, int n) {
        Hessian h = new Hessian(n);
        h.add(x, tokens, WorkerPool.SERIAL);
        return h.matrix();
    }

    /** Σ_t ‖W·x_t − Q·x_t‖²: the layer's output error on its inputs. */
    static double outputError(float[] w, float[] q, float[] x, int rows, int cols, int tokens) {
        double e = 0;
        for (int t = 0; t < tokens; t++) {
            for (int r = 0; r < rows; r++) {
                double d = 0;
                for (int c = 0; c < cols; c++) d += (w[r * cols + c] - q[r * cols + c]) * (double) x[t * cols + c];
                e += d * d;
            }
        }
        return e;
    }

    static float[] rtnValues(Grid grid, int group, float[] w, int rows, int cols) {
        return new RtnQuantizer(grid, group, false).quantize(F32Matrix.of(w, rows, cols), WorkerPool.SERIAL).matrix().readAll();
    }

    @ParameterizedTest
    @ValueSource(strings = {"int:3", "int:2:sym", "e2m1", "nf4", "mxfp4"})
    void identityHessianIsRtn(String spec) {
        String[] p = spec.split(":");
        Grid grid = Grids.parse(p[0], p.length > 1 ? Integer.parseInt(p[1]) : 4, p.length > 2);
        int rows = 6, cols = 96, group = 32;
        float[] w = random(new SplittableRandom(1), rows * cols);
        double[] h = new double[cols * cols];
        for (int i = 0; i < cols; i++) h[i * cols + i] = 1;
        RtnQuantizer rtn = new RtnQuantizer(grid, group, false);
        GroupCodes g = new GptqMatrix(grid, rtn, 0.01f, false).round(w, rows, cols, h, WorkerPool.SERIAL);
        assertArrayEquals(rtnValues(grid, group, w, rows, cols), g.values(), spec);
        GroupCodes actOrder = new GptqMatrix(grid, rtn, 0.01f, true).round(w, rows, cols, h, WorkerPool.SERIAL);
        assertArrayEquals(rtnValues(grid, group, w, rows, cols), actOrder.values(), spec + " act-order");
    }

    @ParameterizedTest
    @ValueSource(strings = {"int:3", "int:2", "e2m1", "nf4"})
    void outputErrorNeverAboveRtn(String spec) {
        String[] p = spec.split(":");
        Grid grid = Grids.parse(p[0], p.length > 1 ? Integer.parseInt(p[1]) : 4, false);
        SplittableRandom r = new SplittableRandom(2);
        int rows = 24, cols = 160, tokens = 400; // 160 columns: two blocks of 128 columns, the second short
        float[] w = random(r, rows * cols), x = inputs(r, tokens, cols);
        double[] h = hessian(x, tokens, cols);
        double rtn = outputError(w, rtnValues(grid, 32, w, rows, cols), x, rows, cols, tokens);
        for (boolean actOrder : new boolean[] {false, true}) {
            GroupCodes g = new GptqMatrix(grid, new RtnQuantizer(grid, 32, false), 0.01f, actOrder).round(w, rows, cols, h, WorkerPool.SERIAL);
            double e = outputError(w, g.values(), x, rows, cols, tokens);
            System.out.printf("GPTQ %s act-order %b: output error %.4g, RTN %.4g (%.2f)%n", spec, actOrder, e, rtn, e / rtn);
            assertTrue(e <= rtn, spec + ": GPTQ " + e + " above RTN " + rtn);
        }
    }

    /**
     * One row of 12 weights, a whole-row group, 40 draws: every choice between each weight's two grid neighbours is
     * tried. GPTQ is greedy, so the margin is stated on the mean: within 20% of the best rounding on average, and
     * never worse than twice it (RTN, for comparison, averages several times the best).
     */
    @Test
    void nearTheBestRoundingFoundByEnumeration() {
        Grid grid = Grids.parse("int", 3, false);
        SplittableRandom r = new SplittableRandom(3);
        int cols = 12, tokens = 200;
        double worst = 0, sum = 0, rtnSum = 0;
        int trials = 40;
        for (int trial = 0; trial < trials; trial++) {
            float[] w = random(r, cols), x = inputs(r, tokens, cols);
            double[] h = hessian(x, tokens, cols);
            RtnQuantizer rtn = new RtnQuantizer(grid, 0, false);
            GroupCodes g = new GptqMatrix(grid, rtn, 0.01f, false).round(w, 1, cols, h, WorkerPool.SERIAL);
            var scale = rtn.groupScales(w, 1, cols)[0];
            double best = Double.POSITIVE_INFINITY;
            float[] q = new float[cols];
            for (int mask = 0; mask < 1 << cols; mask++) {
                for (int c = 0; c < cols; c++) {
                    float u = scale.toGrid(w[c]);
                    q[c] = scale.scale() * ((mask >> c & 1) == 1 ? grid.above(u) : grid.below(u)) + scale.offset();
                }
                best = Math.min(best, outputError(w, q, x, 1, cols, tokens));
            }
            double e = outputError(w, g.values(), x, 1, cols, tokens);
            worst = Math.max(worst, e / best);
            sum += e / best;
            rtnSum += outputError(w, rtnValues(grid, 0, w, 1, cols), x, 1, cols, tokens) / best;
        }
        System.out.printf("GPTQ against enumeration: mean ratio %.3f, worst %.3f (RTN mean %.3f)%n", sum / trials, worst, rtnSum / trials);
        assertTrue(sum / trials <= 1.2, "GPTQ's error averaged " + sum / trials + " times the best rounding's");
        assertTrue(worst <= 2.0, "GPTQ's error reached " + worst + " times the best rounding's");
    }
}
