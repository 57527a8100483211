package dev.lowbit.quant.discquant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.model.LayerWeights;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.RopeStyle;
import dev.lowbit.engine.model.SyntheticWeights;
import dev.lowbit.engine.train.Dense;
import dev.lowbit.engine.train.DenseBlock;
import dev.lowbit.engine.train.DenseModel;
import dev.lowbit.engine.train.KlLoss;
import dev.lowbit.engine.train.ModelPass;
import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.GroupCodes;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.awq.CalibrationSet;
import dev.lowbit.quant.grid.Grid;
import dev.lowbit.quant.grid.Grids;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DiscQuantTest {
    static final LlamaConfig TINY = new LlamaConfig(16, 24, 2, 4, 2, 4, 23, 16, 1e-5f, 10000f, RopeStyle.ROTATE_HALF);

    static int[][] windows(int count, int len, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[][] w = new int[count][len];
        for (int[] win : w) for (int t = 0; t < len; t++) win[t] = r.nextInt(vocab);
        return w;
    }

    static float[] rtnValues(Grid grid, int group, WeightMatrix m) {
        return new RtnQuantizer(grid, group, false).quantize(m, WorkerPool.SERIAL).matrix().readAll();
    }

    static WeightMatrix[] linears(LayerWeights w) {
        return new WeightMatrix[] {w.wq(), w.wk(), w.wv(), w.wo(), w.wGate(), w.wUp(), w.wDown()};
    }

    /** ρ = 0 and no weight decay leave only the pull toward RTN's choice: every code must be RTN's, on every grid, in both scopes. */
    @ParameterizedTest
    @ValueSource(strings = {"int:3", "int:2:sym", "e2m1", "nf4", "e3m2"})
    void withoutTheLossItIsRtnBitForBit(String spec) {
        String[] p = spec.split(":");
        Grid grid = Grids.parse(p[0], p.length > 1 ? Integer.parseInt(p[1]) : 4, p.length > 2);
        LlamaWeights w = SyntheticWeights.random(TINY, 7, true, false);
        int[][] windows = windows(3, 8, TINY.vocabSize(), 8);
        RtnQuantizer rtn = new RtnQuantizer(grid, 8, false);
        for (DiscQuantSettings.Scope scope : DiscQuantSettings.Scope.values()) {
            DiscQuantSettings s = new DiscQuantSettings(scope, 60, 2, 0.1f, 0f, 1f, 0f, 5, 9);
            try (WorkerPool pool = new WorkerPool(2)) {
                DiscQuantResult r = scope == DiscQuantSettings.Scope.MODEL
                        ? new DiscQuantModel(TINY, w, grid, rtn, s, pool).run(windows, Progress.NONE)
                        : new DiscQuantBlocks(TINY, w, grid, rtn, s, pool).run(windows, Progress.NONE);
                for (int l = 0; l < TINY.nLayers(); l++) {
                    WeightMatrix[] fp = linears(w.layers().get(l));
                    for (int i = 0; i < fp.length; i++) {
                        assertArrayEquals(rtnValues(grid, 8, fp[i]), r.blocks().get(l)[i].values(), spec + " " + scope + " layer " + l + " linear " + i);
                    }
                }
            }
        }
    }

    /**
     * A tiny model whose weights all sit on the grid but for 10 in one row of a down projection: each of the 1,024
     * roundings of those is tried on a calibration window of 4 tokens. RTN's KL is more than ten times the best; DiscQuant
     * must close at least 95% of that gap. Four tokens constrain at most four directions of the ten, so roundings off RTN's
     * can cancel each other's errors, which is what DiscQuant looks for.
     */
    @Test
    void nearTheBestRoundingFoundByEnumeration() {
        Grid grid = Grids.parse("int", 3, false);
        RtnQuantizer rtn = new RtnQuantizer(grid, 0, false);
        LlamaWeights random = SyntheticWeights.random(TINY, 11, false, false);
        SplittableRandom pick = new SplittableRandom(12);
        // Every linear on the grid (RTN's values); then 10 weights of the q, gate and down matrices of block 0 moved off it.
        List<LayerWeights> layers = new ArrayList<>();
        List<int[]> free = new ArrayList<>(); // {linear, index}
        for (int l = 0; l < TINY.nLayers(); l++) {
            LayerWeights lw = random.layers().get(l);
            WeightMatrix[] m = linears(lw);
            F32Matrix[] snapped = new F32Matrix[m.length];
            for (int i = 0; i < m.length; i++) {
                float[] v = rtnValues(grid, 0, scaled(m[i], 3));
                if (l == 0 && i == 6) for (int k = 0; k < 10; k++) moveOffGrid(v, m[i].rows(), m[i].cols(), grid, rtn, pick, free, i);
                snapped[i] = F32Matrix.of(v, m[i].rows(), m[i].cols());
            }
            layers.add(new LayerWeights(lw.attnNorm(), snapped[0], snapped[1], snapped[2], snapped[3], null, null, null, null, null, lw.ffnNorm(),
                    snapped[4], snapped[5], snapped[6]));
        }
        LlamaWeights w = new LlamaWeights(random.tokenEmbedding(), layers, random.finalNorm(), random.classifier());
        int[][] windows = windows(1, 4, TINY.vocabSize(), 13);
        try (WorkerPool pool = new WorkerPool(2)) {
            DiscQuantSettings s = new DiscQuantSettings(DiscQuantSettings.Scope.MODEL, 150, 1, 0.05f, 200f, 1f, 0.01f, 30, 14);
            DiscQuantResult r = new DiscQuantModel(TINY, w, grid, rtn, s, pool).run(windows, Progress.NONE);
            // Enumerate: the model's KL on all windows for each choice of the free weights' neighbours.
            DenseModel teacher = DenseModel.of(TINY, w);
            ModelPass pass = new ModelPass(TINY, 4, pool);
            double best = Double.POSITIVE_INFINITY;
            for (int mask = 0; mask < 1 << free.size(); mask++) {
                Dense[] d = teacher.blocks().get(0).linears().clone();
                d[6] = new Dense(d[6].w().clone(), d[6].rows(), d[6].cols());
                for (int f = 0; f < free.size(); f++) {
                    int[] at = free.get(f);
                    Dense m = d[at[0]];
                    var scale = rtn.groupScales(teacher.blocks().get(0).linears()[at[0]].w(), m.rows(), m.cols())[at[1] / m.cols()];
                    float u = scale.toGrid(m.w()[at[1]]);
                    m.w()[at[1]] = scale.scale() * ((mask >> f & 1) == 1 ? grid.above(u) : grid.below(u)) + scale.offset();
                }
                List<DenseBlock> blocks = new ArrayList<>(teacher.blocks());
                blocks.set(0, blocks.get(0).withLinears(d));
                best = Math.min(best, kl(teacher, teacher.withBlocks(blocks), windows, pass));
            }
            System.out.printf("DiscQuant against enumeration: KL %.6f, best %.6f, RTN %.6f, relaxed last %.6f first %.6f%n", r.finalLoss(), best, r.rtnLoss(), r.lastLoss(), r.firstLoss());
            assertTrue(r.rtnLoss() > 10 * best, "the test needs RTN away from the best: " + r.rtnLoss() + " vs " + best);
            assertTrue(r.finalLoss() - best <= 0.05 * (r.rtnLoss() - best), "DiscQuant " + r.finalLoss() + ", best " + best + ", RTN " + r.rtnLoss());
        }
    }

    /** Moves one weight strictly between two levels that are not the group's extremes, so the group's scale does not change. */
    private static void moveOffGrid(float[] v, int rows, int cols, Grid grid, RtnQuantizer rtn, SplittableRandom r, List<int[]> free, int linear) {
        while (true) {
            int at = r.nextInt(cols); // row 0: the errors add up in one output
            var s = rtn.groupScales(v, rows, cols)[at / cols];
            float u = s.toGrid(v[at]);
            float[] levels = grid.values();
            if (u <= levels[1] || u >= levels[levels.length - 2]) continue;
            float next = grid.above(Math.nextUp(u));
            float moved = s.scale() * (u + (float) (0.3 + 0.4 * r.nextDouble()) * (next - u)) + s.offset();
            boolean taken = false;
            for (int[] f : free) taken |= f[0] == linear && f[1] == at;
            if (taken) continue;
            v[at] = moved;
            free.add(new int[] {linear, at});
            return;
        }
    }

    private static WeightMatrix scaled(WeightMatrix m, float f) {
        float[] v = m.readAll();
        for (int i = 0; i < v.length; i++) v[i] *= f;
        return F32Matrix.of(v, m.rows(), m.cols());
    }

    private static double kl(DenseModel teacher, DenseModel student, int[][] windows, ModelPass pass) {
        int vocab = teacher.config().vocabSize();
        double kl = 0;
        long positions = 0;
        for (int[] w : windows) {
            float[] t = new float[w.length * vocab], s = new float[w.length * vocab];
            pass.logits(teacher, w, t);
            pass.logits(student, w, s);
            kl += KlLoss.loss(t, s, w.length, vocab);
            positions += w.length;
        }
        return kl / positions;
    }

    /** On the real stories260K weights at 2 bits, both scopes end below RTN's loss on their calibration windows. */
    @Test
    void belowRtnOnStories260K() throws Exception {
        try (LoadedModel m = ModelLoader.load(SharedData.require("models/stories260K/stories260K.bin"), null, 2)) {
            int[] text = m.tokenizer().encode(Files.readString(SharedData.require("data/tinyshakespeare/input.txt")).substring(0, 20000), false, false);
            CalibrationSet calib = CalibrationSet.of(text, m.tokenizer().bos(), 8, 64, "shakespeare");
            Grid grid = Grids.parse("int", 2, false);
            RtnQuantizer rtn = new RtnQuantizer(grid, 32, false);
            for (DiscQuantSettings.Scope scope : DiscQuantSettings.Scope.values()) {
                DiscQuantSettings s = new DiscQuantSettings(scope, 40, 4, 0.05f, 200f, 1f, 0.01f, 10, 1);
                DiscQuantResult r = scope == DiscQuantSettings.Scope.MODEL
                        ? new DiscQuantModel(m.model().config(), m.model().weights(), grid, rtn, s, m.model().pool()).run(calib.windows(), Progress.NONE)
                        : new DiscQuantBlocks(m.model().config(), m.model().weights(), grid, rtn, s, m.model().pool()).run(calib.windows(), Progress.NONE);
                System.out.printf("stories260K int2 %s scope: RTN %.4f, DiscQuant %.4f%n", scope, r.rtnLoss(), r.finalLoss());
                assertTrue(r.finalLoss() < 0.8 * r.rtnLoss(), scope + ": DiscQuant " + r.finalLoss() + ", RTN " + r.rtnLoss());
            }
        }
    }
}
