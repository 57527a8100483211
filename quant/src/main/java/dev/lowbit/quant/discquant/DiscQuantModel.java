package dev.lowbit.quant.discquant;

import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.train.BlockGradients;
import dev.lowbit.engine.train.DenseBlock;
import dev.lowbit.engine.train.DenseModel;
import dev.lowbit.engine.train.KlLoss;
import dev.lowbit.engine.train.ModelPass;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.GroupCodes;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.awq.CalibrationSet;
import dev.lowbit.quant.grid.Grid;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * DiscQuant over the whole model: the loss is KL(teacher ‖ student) summed over the vocabulary, averaged over the
 * positions of a step's windows and divided by δ², the mean over the rounded layers of 12·mean((RTN(W) − W)²). The
 * teacher is the unquantized model; every linear layer of every block is rounded; the embedding and classifier
 * are not.
 */
public final class DiscQuantModel {
    private final LlamaConfig c;
    private final DenseModel teacher;
    private final Grid grid;
    private final RtnQuantizer rtn;
    private final DiscQuantSettings s;
    private final WorkerPool pool;

    public DiscQuantModel(LlamaConfig c, LlamaWeights weights, Grid grid, RtnQuantizer rtn, DiscQuantSettings s, WorkerPool pool) {
        if (s.scope() != DiscQuantSettings.Scope.MODEL) throw new IllegalArgumentException("model-scope settings expected");
        this.c = c;
        this.teacher = DenseModel.of(c, weights);
        this.grid = grid;
        this.rtn = rtn;
        this.s = s;
        this.pool = pool;
    }

    public DiscQuantResult run(int[][] windows, Progress progress) {
        long t0 = System.nanoTime();
        SplittableRandom random = new SplittableRandom(s.seed());
        List<BlockVariables> vars = new ArrayList<>();
        List<DenseBlock> studentBlocks = new ArrayList<>();
        List<BlockGradients> grads = new ArrayList<>();
        double delta2 = 0;
        long working = 0;
        for (DenseBlock b : teacher.blocks()) {
            BlockVariables v = new BlockVariables(b, grid, rtn, random);
            for (double t : v.deltaTerms()) delta2 += t;
            working += v.bytes();
            vars.add(v);
            studentBlocks.add(v.student());
            grads.add(BlockGradients.zerosLike(v.student()));
        }
        delta2 /= 7.0 * c.nLayers();
        if (!(delta2 > 0)) delta2 = 1; // every weight already on the grid: any rounding is exact
        DenseModel student = teacher.withBlocks(studentBlocks);
        int maxLen = CalibrationSet.longest(windows);
        ModelPass pass = new ModelPass(c, maxLen, pool);
        working += pass.bytes() + 4L * maxLen * c.vocabSize();
        for (BlockGradients g : grads) for (int i = 0; i < 7; i++) working += 4L * g.linear(i).length;
        float[] teacherLogits = new float[maxLen * c.vocabSize()];

        WindowOrder order = new WindowOrder(windows.length, s.seed() ^ 0x5DEECE66DL);
        double first = Double.NaN, last = Double.NaN;
        long t1 = System.nanoTime();
        for (int step = 0; step < s.steps(); step++) {
            int[] batch = order.take(s.windowsPerStep());
            int positions = 0;
            for (int w : batch) positions += windows[w].length;
            for (BlockGradients g : grads) g.clear();
            double kl = 0;
            for (int w : batch) {
                pass.logits(teacher, windows[w], teacherLogits);
                kl += pass.klBackward(student, windows[w], teacherLogits, (float) (1 / (positions * delta2)), grads);
            }
            float lr = s.learningRate(step);
            for (int l = 0; l < vars.size(); l++) vars.get(l).step(grads.get(l), lr, step + 1, s, pool);
            last = kl / positions;
            if (step == 0) first = last;
            progress.update(step + 1, s.steps(), String.format("KL %.5f", last));
        }
        double perStep = (System.nanoTime() - t1) / 1e9 / s.steps();
        double[] losses = meanKl(windows, pass, teacherLogits, rounded(vars, true), rounded(vars, false));
        List<GroupCodes[]> codes = new ArrayList<>();
        for (BlockVariables v : vars) codes.add(v.codes());
        return new DiscQuantResult(codes, first, last, losses[0], losses[1], (System.nanoTime() - t0) / 1e9, perStep, working);
    }

    /** The teacher with every block rounded: RTN's rounding, or the final one. */
    private DenseModel rounded(List<BlockVariables> vars, boolean rtn) {
        List<DenseBlock> blocks = new ArrayList<>();
        for (BlockVariables v : vars) blocks.add(v.rounded(rtn));
        return teacher.withBlocks(blocks);
    }

    /** KL per position over every window, of each model; the teacher runs once per window for all of them. */
    private double[] meanKl(int[][] windows, ModelPass pass, float[] teacherLogits, DenseModel... models) {
        float[] logits = new float[teacherLogits.length];
        double[] kl = new double[models.length];
        long positions = 0;
        for (int[] w : windows) {
            pass.logits(teacher, w, teacherLogits);
            for (int m = 0; m < models.length; m++) {
                pass.logits(models[m], w, logits);
                kl[m] += KlLoss.loss(teacherLogits, logits, w.length, c.vocabSize());
            }
            positions += w.length;
        }
        for (int m = 0; m < kl.length; m++) kl[m] /= positions;
        return kl;
    }
}
