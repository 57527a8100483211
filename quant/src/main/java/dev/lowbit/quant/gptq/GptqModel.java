package dev.lowbit.quant.gptq;

import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LayerWeights;
import dev.lowbit.engine.model.LinearKind;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.GroupCodes;
import dev.lowbit.quant.awq.CalibrationSet;
import java.util.ArrayList;
import java.util.List;

/**
 * GPTQ over a model, block after block. Each block's calibration inputs come from the blocks before it as already
 * rounded, and within a block the linear layers go in the order they run ("true sequential"): q, k, v on the
 * attention input; o on the attention output of the rounded q, k, v; gate and up on the MLP input after the
 * rounded attention; down on the hidden state of the rounded gate and up.
 */
public final class GptqModel {
    private final LlamaModel model;
    private final GptqMatrix gptq;

    public GptqModel(LlamaModel model, GptqMatrix gptq) {
        this.model = model;
        this.gptq = gptq;
    }

    /** Rounded q, k, v, o, gate, up, down of every block, and how long it took. */
    public record Result(List<GroupCodes[]> blocks, double seconds) {}

    public Result run(int[][] windows, Progress progress) {
        long t0 = System.nanoTime();
        LlamaConfig c = model.config();
        WorkerPool pool = model.pool();
        int maxLen = CalibrationSet.longest(windows);
        InferenceState s = model.newState(maxLen, maxLen);
        float[][] x = CalibrationSet.embed(windows, model.weights().tokenEmbedding(), c.vocabSize()), x1 = new float[windows.length][];
        List<GroupCodes[]> out = new ArrayList<>();
        long total = 4L * c.nLayers();
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights fp = model.weights().layers().get(l);
            GroupCodes[] codes = new GroupCodes[7];
            int layer = l;
            progress.update(4L * l, total, "block " + l + ": q, k, v");
            Hessian attnIn = record(s, layer, LinearKind.Q, c.dim(), x, windows, (st, n) -> model.attentionBlock(st, fp, layer, n, 0));
            codes[0] = round(fp.wq(), attnIn, pool);
            codes[1] = round(fp.wk(), attnIn, pool);
            codes[2] = round(fp.wv(), attnIn, pool);
            LayerWeights qkv = with(fp, codes);
            progress.update(4L * l + 1, total, "block " + l + ": o");
            Hessian attnOut = record(s, layer, LinearKind.O, c.qDim(), x, windows, (st, n) -> model.attentionBlock(st, qkv, layer, n, 0));
            codes[3] = round(fp.wo(), attnOut, pool);
            LayerWeights attention = with(fp, codes);
            for (int w = 0; w < windows.length; w++) { // the residual stream after the rounded attention
                System.arraycopy(x[w], 0, s.residual(), 0, x[w].length);
                model.attentionBlock(s, attention, layer, windows[w].length, 0);
                x1[w] = java.util.Arrays.copyOf(s.residual(), x[w].length);
            }
            progress.update(4L * l + 2, total, "block " + l + ": gate, up");
            Hessian mlpIn = record(s, layer, LinearKind.GATE, c.dim(), x1, windows, (st, n) -> model.feedForwardBlock(st, attention, layer, n));
            codes[4] = round(fp.wGate(), mlpIn, pool);
            codes[5] = round(fp.wUp(), mlpIn, pool);
            LayerWeights gateUp = with(fp, codes);
            progress.update(4L * l + 3, total, "block " + l + ": down");
            Hessian hidden = record(s, layer, LinearKind.DOWN, c.hiddenDim(), x1, windows, (st, n) -> model.feedForwardBlock(st, gateUp, layer, n));
            codes[6] = round(fp.wDown(), hidden, pool);
            LayerWeights rounded = with(fp, codes);
            for (int w = 0; w < windows.length; w++) { // the next block's inputs: this block as rounded
                System.arraycopy(x1[w], 0, s.residual(), 0, x1[w].length);
                model.feedForwardBlock(s, rounded, layer, windows[w].length);
                System.arraycopy(s.residual(), 0, x[w], 0, x[w].length);
            }
            out.add(codes);
        }
        progress.update(total, total, "");
        return new Result(out, (System.nanoTime() - t0) / 1e9);
    }

    @FunctionalInterface
    private interface HalfBlock {
        void run(InferenceState s, int n);
    }

    /** Runs {@code step} on every window's residual stream {@code from}, accumulating the inputs of {@code kind} in layer l. */
    private Hessian record(InferenceState s, int l, LinearKind kind, int width, float[][] from, int[][] windows, HalfBlock step) {
        Hessian h = new Hessian(width);
        model.setLinearHook((layer, k, input, batch, cols) -> {
            if (layer == l && k == kind) h.add(input, batch, model.pool());
        });
        try {
            for (int w = 0; w < windows.length; w++) {
                System.arraycopy(from[w], 0, s.residual(), 0, from[w].length);
                step.run(s, windows[w].length);
            }
        } finally {
            model.setLinearHook(null);
        }
        return h;
    }

    private GroupCodes round(WeightMatrix m, Hessian h, WorkerPool pool) {
        return gptq.round(m.readAll(), m.rows(), m.cols(), h.matrix(), pool);
    }

    /** The block with the linears rounded so far (non-null codes) in place of the fp32 ones. */
    private static LayerWeights with(LayerWeights w, GroupCodes[] codes) {
        WeightMatrix[] m = {w.wq(), w.wk(), w.wv(), w.wo(), w.wGate(), w.wUp(), w.wDown()};
        for (int i = 0; i < m.length; i++) if (codes[i] != null) m[i] = F32Matrix.of(codes[i].values(), m[i].rows(), m[i].cols());
        return w.withMatrices(m[0], m[1], m[2], m[3], m[4], m[5], m[6]);
    }
}
