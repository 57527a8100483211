package dev.lowbit.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.kernels.CodebookMatrix;
import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.grid.Grid;
import dev.lowbit.quant.grid.Grids;
import dev.lowbit.quant.grid.IntegerGrid;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class RtnQuantizerTest {
    static final WorkerPool POOL = new WorkerPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    static float[] dequantized(CodebookMatrix m) {
        float[] out = new float[m.rows() * m.cols()];
        for (int r = 0; r < m.rows(); r++) m.readRow(r, out, r * m.cols());
        return out;
    }

    @Test
    void handComputedInt2AsymmetricGroups() {
        // Row of 6 in groups of 4: [0, 1, 2, 3 | 10, 20]. Group 1: min 0, scale 1 → exact.
        // Group 2 (short): min 10, scale (20−10)/3 = 3.333… (fp16 3.3320312) → 10 and 20 back (codes 0 and 3).
        float[] w = {0, 1, 2, 3, 10, 20};
        CodebookMatrix q = (CodebookMatrix) new RtnQuantizer(new IntegerGrid(2, false), 4, false)
                .quantize(F32Matrix.of(w, 1, 6), POOL).matrix();
        float s = Float.float16ToFloat(Float.floatToFloat16(10f / 3));
        assertArrayEquals(new float[] {0, 1, 2, 3, 10, 10 + 3 * s}, dequantized(q));
    }

    @Test
    void handComputedE2M1Group() {
        // absmax 3 → scale 3/6 = 0.5; w/scale = {1, −2.5, 6, 0.5}: 2.5 is a tie between 2 and 3 → 2 (even code).
        float[] w = {0.5f, -1.25f, 3f, 0.25f};
        CodebookMatrix q = (CodebookMatrix) new RtnQuantizer(Grids.of("e2m1", 0, false), 0, false)
                .quantize(F32Matrix.of(w, 1, 4), POOL).matrix();
        assertArrayEquals(new float[] {0.5f, -1f, 3f, 0.25f}, dequantized(q));
    }

    @Test
    void everyWeightGetsTheNearestLevelOfItsGroupScale() {
        SplittableRandom r = new SplittableRandom(3);
        int rows = 7, cols = 172, group = 32; // 172 = 5 × 32 + 12: a short last group
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * (i % 37 == 0 ? 8 : 1));
        for (Grid grid : new Grid[] {new IntegerGrid(3, false), new IntegerGrid(4, true), Grids.of("nf4", 0, false),
                Grids.of("e3m2", 0, false), Grids.of("mxfp4", 0, false)}) {
            int g = grid instanceof dev.lowbit.quant.grid.MxGrid ? 32 : group;
            CodebookMatrix q = (CodebookMatrix) new RtnQuantizer(grid, g, false).quantize(F32Matrix.of(w, rows, cols), POOL).matrix();
            float[] back = dequantized(q);
            for (int row = 0; row < rows; row++) {
                for (int k = 0; k * g < cols; k++) {
                    int off = row * cols + k * g, n = Math.min(g, cols - k * g);
                    var s = grid.fit(w, off, n, 1f);
                    for (int i = off; i < off + n; i++) {
                        // Brute force: no representable value of this group is closer to w than the one chosen.
                        double chosen = Math.abs(back[i] - w[i]);
                        for (float level : grid.values()) {
                            float candidate = s.scale() * level + s.offset();
                            assertTrue(chosen <= Math.abs(candidate - w[i]) + 1e-6, grid + " weight " + i);
                        }
                    }
                }
            }
        }
    }

    @Test
    void clipSearchIsNeverWorseAndHelpsWithOutliers() {
        SplittableRandom r = new SplittableRandom(4);
        int rows = 64, cols = 256;
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextGaussian() * (r.nextInt(100) == 0 ? 6 : 1));
        F32Matrix m = F32Matrix.of(w, rows, cols);
        for (Grid grid : new Grid[] {new IntegerGrid(3, false), new IntegerGrid(4, true), Grids.of("e2m1", 0, false)}) {
            double plain = new RtnQuantizer(grid, 128, false).quantize(m, POOL).relativeRmsError();
            double searched = new RtnQuantizer(grid, 128, true).quantize(m, POOL).relativeRmsError();
            assertTrue(searched <= plain, grid + ": " + searched + " > " + plain);
            assertTrue(searched < 0.97 * plain, grid + ": search should clip the outliers (" + searched + " vs " + plain + ")");
        }
    }

    @Test
    void reportedErrorMatchesTheDequantizedMatrix() {
        SplittableRandom r = new SplittableRandom(5);
        float[] w = new float[33 * 70];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        QuantizedTensor t = new RtnQuantizer(new IntegerGrid(4, false), 64, false).quantize(F32Matrix.of(w, 33, 70), POOL);
        float[] back = dequantized((CodebookMatrix) t.matrix());
        double err = 0, norm = 0;
        for (int i = 0; i < w.length; i++) {
            err += (w[i] - back[i]) * (double) (w[i] - back[i]);
            norm += w[i] * (double) w[i];
        }
        assertEquals(Math.sqrt(err / norm), t.relativeRmsError(), 1e-9);
    }

    @Test
    void moreBitsMeanLessError() {
        SplittableRandom r = new SplittableRandom(6);
        float[] w = new float[32 * 128];
        for (int i = 0; i < w.length; i++) w[i] = (float) r.nextGaussian();
        F32Matrix m = F32Matrix.of(w, 32, 128);
        double previous = Double.POSITIVE_INFINITY;
        for (int bits = 1; bits <= 8; bits++) {
            double e = new RtnQuantizer(new IntegerGrid(bits, false), 32, false).quantize(m, POOL).relativeRmsError();
            assertTrue(e < previous, bits + " bits: " + e);
            previous = e;
        }
        assertTrue(previous < 0.01, "8-bit error " + previous);
    }
}
