package dev.lowbit.quant.awq;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.grid.Grid;
import dev.lowbit.quant.grid.Grids;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One linear layer whose input has a few outlier channels 20–100× larger than the rest, as real LLMs have:
 * AWQ (scales, then clipping, then the stored quantization) must at least halve RTN's output error.
 */
class PlantedOutlierTest {
    static final int ROWS = 256, COLS = 512, TOKENS = 1024;

    @ParameterizedTest(name = "{0} {1}-bit g{2}")
    @CsvSource({"int, 4, 128", "int, 3, 128", "int, 4, 32", "int, 3, 32", "e2m1, 4, 32", "nf4, 4, 64"})
    void awqHalvesRtnOutputError(String gridName, int bits, int group) {
        SplittableRandom rnd = new SplittableRandom(2024);
        float[] w = new float[ROWS * COLS];
        for (int i = 0; i < w.length; i++) w[i] = (float) rnd.nextGaussian(0, 0.02);
        float[] channelScale = new float[COLS];
        java.util.Arrays.fill(channelScale, 1f);
        for (int k = 0; k < 6; k++) channelScale[rnd.nextInt(COLS)] = (float) rnd.nextDouble(20, 100);
        float[] x = new float[TOKENS * COLS];
        for (int t = 0; t < TOKENS; t++) for (int c = 0; c < COLS; c++) x[t * COLS + c] = (float) rnd.nextGaussian() * channelScale[c];

        Grid grid = Grids.parse(gridName, bits, false);
        RtnQuantizer rtn = new RtnQuantizer(grid, group, false);
        try (WorkerPool pool = new WorkerPool(2)) {
            WeightMatrix fp = F32Matrix.of(w, ROWS, COLS);
            float[] reference = new float[TOKENS * ROWS];
            fp.multiply(x, reference, TOKENS, pool);
            double rtnError = outputError(rtn.quantize(fp, pool).matrix(), x, reference, pool);

            // Score on the first half of the tokens, measure on all of them.
            InputStats stats = new InputStats(COLS);
            stats.add(x, TOKENS / 2, true);
            stats.add(java.util.Arrays.copyOfRange(x, TOKENS / 2 * COLS, x.length), TOKENS / 2, false);
            DenseMatrix dense = new DenseMatrix(w.clone(), ROWS, COLS);
            AwqSettings settings = AwqSettings.DEFAULT;
            ScaleSearch.Choice choice = ScaleSearch.search(stats.meanAbs(), List.of(dense), candidates -> {
                float[] a = new float[TOKENS / 2 * ROWS], b = new float[TOKENS / 2 * ROWS];
                fp.multiply(stats.rows(), a, TOKENS / 2, pool);
                candidates.get(0).multiply(stats.rows(), b, TOKENS / 2, pool);
                return ScaleSearch.mse(a, b, a.length);
            }, rtn, settings, pool);
            dense.multiplyColumns(choice.scales());
            stats.divideBy(choice.scales());
            ClipSearch.apply(dense, stats, rtn, settings, pool);
            WeightMatrix stored = rtn.quantize(dense.toMatrix(), pool).matrix();
            float[] scaledX = x.clone();
            for (int t = 0; t < TOKENS; t++) for (int c = 0; c < COLS; c++) scaledX[t * COLS + c] /= choice.scales()[c];
            double awqError = outputError(stored, scaledX, reference, pool);

            System.out.printf("%s %d-bit g%d: RTN %.3e, AWQ %.3e (α %.2f), ratio %.2f%n", gridName, bits, group, rtnError, awqError,
                    choice.alpha(), rtnError / awqError);
            assertTrue(rtnError >= 2 * awqError, "RTN " + rtnError + " vs AWQ " + awqError + " (α " + choice.alpha() + ")");
        }
    }

    static double outputError(WeightMatrix m, float[] x, float[] reference, WorkerPool pool) {
        float[] y = new float[reference.length];
        m.multiply(x, y, TOKENS, pool);
        return ScaleSearch.mse(y, reference, y.length);
    }
}
