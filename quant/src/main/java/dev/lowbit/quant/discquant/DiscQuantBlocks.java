package dev.lowbit.quant.discquant;

import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.train.BlockGradients;
import dev.lowbit.engine.train.BlockPass;
import dev.lowbit.engine.train.Dense;
import dev.lowbit.engine.train.DenseBlock;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.GroupCodes;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.awq.CalibrationSet;
import dev.lowbit.quant.grid.Grid;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * DiscQuant block by block (lowbit's own variant; docs/DISCQUANT.md). Block l's inputs are the calibration
 * windows' residual streams after the already-rounded blocks 0..l−1, as in GPTQ; its target is what the
 * unquantized block makes of those same inputs. The loss is the normalised output error
 * Σ‖B_x(X) − B(X)‖² / Σ‖B(X) − X‖² over a step's windows, divided by the block's δ², with DiscQuant's gradient,
 * optimiser and final rounding. Only one block's variables are held at a time.
 */
public final class DiscQuantBlocks {
    private final LlamaConfig c;
    private final LlamaWeights weights;
    private final Grid grid;
    private final RtnQuantizer rtn;
    private final DiscQuantSettings s;
    private final WorkerPool pool;

    public DiscQuantBlocks(LlamaConfig c, LlamaWeights weights, Grid grid, RtnQuantizer rtn, DiscQuantSettings s, WorkerPool pool) {
        if (s.scope() != DiscQuantSettings.Scope.BLOCK) throw new IllegalArgumentException("block-scope settings expected");
        this.c = c;
        this.weights = weights;
        this.grid = grid;
        this.rtn = rtn;
        this.s = s;
        this.pool = pool;
    }

    public DiscQuantResult run(int[][] windows, Progress progress) {
        long t0 = System.nanoTime();
        int dim = c.dim(), maxLen = CalibrationSet.longest(windows);
        float[][] inputs = CalibrationSet.embed(windows, weights.tokenEmbedding(), c.vocabSize()), targets = new float[windows.length][];
        for (int w = 0; w < windows.length; w++) targets[w] = new float[inputs[w].length];
        double[] energy = new double[windows.length];
        BlockPass pass = new BlockPass(c, maxLen, pool);
        float[] out = new float[maxLen * dim], dOut = new float[maxLen * dim], dx = new float[maxLen * dim];
        SplittableRandom random = new SplittableRandom(s.seed());
        WindowOrder order = new WindowOrder(windows.length, s.seed() ^ 0x5DEECE66DL);
        List<GroupCodes[]> codes = new ArrayList<>();
        double first = 0, last = 0, rtnLoss = 0, finalLoss = 0, stepSeconds = 0;
        long working = 0;
        long total = (long) c.nLayers() * s.steps();
        for (int l = 0; l < c.nLayers(); l++) {
            DenseBlock teacher = DenseBlock.of(weights.layers().get(l));
            for (int w = 0; w < windows.length; w++) {
                pass.forward(teacher, l, inputs[w], targets[w], windows[w].length);
                energy[w] = squaredDistance(targets[w], inputs[w], targets[w].length);
            }
            BlockVariables vars = new BlockVariables(teacher, grid, rtn, random);
            double delta2 = 0;
            for (double t : vars.deltaTerms()) delta2 += t / 7;
            long blockBytes = pass.bytes() + 3L * 4 * maxLen * dim + vars.bytes();
            for (Dense d : teacher.linears()) blockBytes += 4L * d.w().length;
            working = Math.max(working, blockBytes);
            if (!(delta2 > 0)) delta2 = 1;
            DenseBlock student = vars.student();
            BlockGradients grads = BlockGradients.zerosLike(student);
            long t1 = System.nanoTime();
            for (int step = 0; step < s.steps(); step++) {
                int[] batch = order.take(s.windowsPerStep());
                double batchEnergy = 0, error = 0;
                for (int w : batch) batchEnergy += energy[w];
                if (!(batchEnergy > 0)) batchEnergy = 1;
                grads.clear();
                for (int w : batch) {
                    int n = windows[w].length * dim;
                    pass.forward(student, l, inputs[w], out, windows[w].length);
                    float scale = (float) (2 / (batchEnergy * delta2));
                    for (int i = 0; i < n; i++) {
                        float d = out[i] - targets[w][i];
                        error += (double) d * d;
                        dOut[i] = scale * d;
                    }
                    pass.backward(student, inputs[w], dOut, dx, grads);
                }
                float lr = s.learningRate(step);
                vars.step(grads, lr, step + 1, s, pool);
                double loss = error / batchEnergy;
                if (step == 0) first += loss / c.nLayers();
                if (step == s.steps() - 1) last += loss / c.nLayers();
                progress.update((long) l * s.steps() + step + 1, total, String.format("block %d: error %.5f", l, loss));
            }
            stepSeconds += (System.nanoTime() - t1) / 1e9;
            // The final rounding, scored and then run to give the next block's inputs.
            DenseBlock rounded = vars.rounded(false);
            rtnLoss += blockError(pass, l, vars.rounded(true), inputs, targets, energy, windows, out) / c.nLayers();
            finalLoss += blockError(pass, l, rounded, inputs, targets, energy, windows, out) / c.nLayers();
            codes.add(vars.codes());
            for (int w = 0; w < windows.length; w++) {
                pass.forward(rounded, l, inputs[w], out, windows[w].length);
                System.arraycopy(out, 0, inputs[w], 0, inputs[w].length);
            }
        }
        return new DiscQuantResult(codes, first, last, rtnLoss, finalLoss, (System.nanoTime() - t0) / 1e9, stepSeconds / total, working);
    }

    /** The normalised output error Σ‖B_x(X) − B(X)‖² / Σ‖B(X) − X‖² of a rounded block over every window. */
    private static double blockError(BlockPass pass, int l, DenseBlock b, float[][] inputs, float[][] targets, double[] energy, int[][] windows,
                                     float[] out) {
        double error = 0, total = 0;
        for (int w = 0; w < windows.length; w++) {
            pass.forward(b, l, inputs[w], out, windows[w].length);
            error += squaredDistance(out, targets[w], targets[w].length);
            total += energy[w];
        }
        return total > 0 ? error / total : 0;
    }

    private static double squaredDistance(float[] a, float[] b, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += (double) (a[i] - b[i]) * (a[i] - b[i]);
        return s;
    }
}
