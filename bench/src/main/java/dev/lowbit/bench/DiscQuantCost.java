package dev.lowbit.bench;

import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.SyntheticWeights;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.discquant.DiscQuantBlocks;
import dev.lowbit.quant.discquant.DiscQuantModel;
import dev.lowbit.quant.discquant.DiscQuantResult;
import dev.lowbit.quant.discquant.DiscQuantSettings;
import dev.lowbit.quant.grid.Grid;
import dev.lowbit.quant.grid.Grids;
import java.util.SplittableRandom;

/**
 * DiscQuant's cost at real shapes (docs/DISCQUANT.md): time per step and the memory the optimisation holds, on a
 * random-weight model of a preset shape, for either scope. Arguments: shape (llama-1b), scope (model|block), layers
 * (the model is cut to this many blocks; its shapes stay), steps, windows per step, tokens per window.
 */
public final class DiscQuantCost {
    private DiscQuantCost() {}

    public static void main(String[] args) {
        LlamaConfig full = SyntheticWeights.preset(args[0]);
        DiscQuantSettings.Scope scope = DiscQuantSettings.Scope.valueOf(args[1].toUpperCase());
        int layers = Integer.parseInt(args[2]), steps = Integer.parseInt(args[3]), batch = Integer.parseInt(args[4]), tokens = Integer.parseInt(args[5]);
        LlamaConfig c = new LlamaConfig(full.dim(), full.hiddenDim(), layers, full.nHeads(), full.nKvHeads(), full.headDim(), full.vocabSize(),
                full.contextLength(), full.normEps(), full.ropeTheta(), full.ropeStyle());
        try (WorkerPool pool = new WorkerPool(WorkerPool.defaultThreads())) {
            LlamaWeights w = SyntheticWeights.random(c, 1, false, false, pool);
            SplittableRandom r = new SplittableRandom(2);
            int[][] windows = new int[batch][tokens];
            for (int[] win : windows) for (int t = 0; t < tokens; t++) win[t] = r.nextInt(c.vocabSize());
            Grid grid = Grids.parse("int", 3, false);
            RtnQuantizer rtn = new RtnQuantizer(grid, 32, false);
            DiscQuantSettings s = new DiscQuantSettings(scope, steps, batch, 0.05f, 200f, 1f, 0.01f, 0, 3);
            long t0 = System.nanoTime();
            DiscQuantResult res = scope == DiscQuantSettings.Scope.MODEL
                    ? new DiscQuantModel(c, w, grid, rtn, s, pool).run(windows, Progress.NONE)
                    : new DiscQuantBlocks(c, w, grid, rtn, s, pool).run(windows, Progress.NONE);
            Runtime rt = Runtime.getRuntime();
            System.out.printf("%s, %s scope, %d blocks, %d windows x %d tokens per step, %d threads: %.2f s per step, %.0f MiB held by the"
                            + " optimisation, %.0f MiB heap in use at the end, %.1f s in all%n", args[0], args[1], layers, batch, tokens, pool.threads(),
                    res.secondsPerStep(), res.workingBytes() / 1048576.0, (rt.totalMemory() - rt.freeMemory()) / 1048576.0, (System.nanoTime() - t0) / 1e9);
        }
    }
}
