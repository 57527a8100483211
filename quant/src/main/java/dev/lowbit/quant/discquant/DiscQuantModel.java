package dev.lowbit.quant.discquant;

import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.train.BlockGradients;
import dev.lowbit.engine.train.Dense;
import dev.lowbit.engine.train.DenseBlock;
import dev.lowbit.engine.train.DenseModel;
import dev.lowbit.engine.train.ModelPass;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.GroupCodes;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.grid.Grid;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

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
        List<RoundingVariables[]> vars = new ArrayList<>();
        List<DenseBlock> studentBlocks = new ArrayList<>();
        List<BlockGradients> grads = new ArrayList<>();
        double delta2 = 0;
        long working = 0;
        for (DenseBlock b : teacher.blocks()) {
            Dense[] linears = b.linears();
            RoundingVariables[] v = new RoundingVariables[linears.length];
            Dense[] student = new Dense[linears.length];
            for (int i = 0; i < linears.length; i++) {
                v[i] = new RoundingVariables(grid, rtn, linears[i], random.split());
                student[i] = v[i].dense();
                delta2 += 12 * v[i].rtnSquaredError();
                working += v[i].bytes();
            }
            vars.add(v);
            DenseBlock sb = b.withLinears(student);
            studentBlocks.add(sb);
            grads.add(BlockGradients.zerosLike(sb));
        }
        delta2 /= 7.0 * c.nLayers();
        if (!(delta2 > 0)) delta2 = 1; // every weight already on the grid: any rounding is exact
        DenseModel student = teacher.withBlocks(studentBlocks);
        int maxLen = 0;
        for (int[] w : windows) maxLen = Math.max(maxLen, w.length);
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
            for (int l = 0; l < vars.size(); l++) {
                RoundingVariables[] v = vars.get(l);
                for (int i = 0; i < v.length; i++) v[i].step(grads.get(l).linear(i), lr, step + 1, s, pool);
            }
            last = kl / positions;
            if (step == 0) first = last;
            progress.update(step + 1, s.steps(), String.format("KL %.5f", last));
        }
        double perStep = (System.nanoTime() - t1) / 1e9 / s.steps();
        double rtnLoss = meanKl(windows, pass, teacherLogits, v -> v.rounded(true), vars);
        double finalLoss = meanKl(windows, pass, teacherLogits, v -> v.rounded(false), vars);
        List<GroupCodes[]> codes = new ArrayList<>();
        for (RoundingVariables[] v : vars) {
            GroupCodes[] g = new GroupCodes[v.length];
            for (int i = 0; i < v.length; i++) g[i] = v[i].codes();
            codes.add(g);
        }
        return new DiscQuantResult(codes, first, last, rtnLoss, finalLoss, (System.nanoTime() - t0) / 1e9, perStep, working);
    }

    /** KL per position over every window, of the model whose linears are {@code rounding} of the variables. */
    private double meanKl(int[][] windows, ModelPass pass, float[] teacherLogits, Function<RoundingVariables, Dense> rounding,
                          List<RoundingVariables[]> vars) {
        List<DenseBlock> blocks = new ArrayList<>();
        for (int l = 0; l < vars.size(); l++) {
            Dense[] d = new Dense[7];
            for (int i = 0; i < 7; i++) d[i] = rounding.apply(vars.get(l)[i]);
            blocks.add(teacher.blocks().get(l).withLinears(d));
        }
        DenseModel m = teacher.withBlocks(blocks);
        float[] logits = new float[teacherLogits.length];
        double kl = 0;
        long positions = 0;
        for (int[] w : windows) {
            pass.logits(teacher, w, teacherLogits);
            pass.logits(m, w, logits);
            kl += dev.lowbit.engine.train.KlLoss.loss(teacherLogits, logits, w.length, c.vocabSize());
            positions += w.length;
        }
        return kl / positions;
    }
}
