package dev.lowbit.quant.awq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class InputStatsTest {
    @Test
    void meanAbsCountsEveryTokenSubsampleOnlyKept() {
        InputStats s = new InputStats(2);
        s.add(new float[] {1, -2, -3, 4}, 2, true);
        s.add(new float[] {5, 0}, 1, false);
        assertArrayEquals(new float[] {3, 2}, s.meanAbs());
        assertEquals(2, s.rowCount());
    }

    @Test
    void outlierRatioIsMaxOverMedian() {
        InputStats s = new InputStats(3);
        s.add(new float[] {1, -2, 10}, 1, false);
        assertEquals(5f, s.outlierRatio());
    }

    @Test
    void gramGivesTheOutputErrorOfAGroupChange() {
        SplittableRandom rnd = new SplittableRandom(5);
        int cols = 10, tokens = 7, g = 4; // groups 0-3, 4-7 and a short 8-9
        float[] x = new float[tokens * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        InputStats s = new InputStats(cols);
        s.add(x, tokens, true);
        float[][] grams = s.groupGrams(g);
        assertEquals(3, grams.length);
        for (int k = 0; k < 3; k++) {
            int off = k * g, n = Math.min(g, cols - off);
            float[] d = new float[n];
            for (int i = 0; i < n; i++) d[i] = (float) rnd.nextGaussian();
            double direct = 0, viaGram = 0;
            for (int t = 0; t < tokens; t++) {
                double dot = 0;
                for (int i = 0; i < n; i++) dot += d[i] * x[t * cols + off + i];
                direct += dot * dot;
            }
            for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) viaGram += d[i] * grams[k][i * n + j] * d[j];
            assertEquals(direct, viaGram, 1e-4 * direct, "group " + k);
        }
    }
}
