package dev.lowbit.quant.awq;

import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LayerWeights;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.RtnQuantizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Activation-aware weight quantization (Lin et al., 2023), as a transformation of the full-precision weights
 * that the quantizer then rounds: block by block, run the fp32 block over the calibration windows (recording its
 * linear inputs), search the scales of each group of linears that share an input, fold them (the fp32 function is
 * unchanged), then search each row-group's clipping range and clamp. Each block's input comes from the previous
 * full-precision block, as in the reference code.
 *
 * <p>Groups and where their inverse scale folds: q/k/v into the attention RMSNorm, scored on the attention output;
 * o into v's output rows (only when v and o match one to one, i.e. no grouped-query attention), scored on o's
 * output; gate/up into the MLP RMSNorm, scored on the MLP output; down into up's output rows, scored on down's
 * output. Clipping: every linear but q and k.
 */
public final class AwqTransform {
    private static final int STEPS_PER_BLOCK = 4;

    private final LlamaModel model;
    private final RtnQuantizer quantizer;
    private final AwqSettings settings;
    private final WorkerPool pool;

    /** {@code quantizer} is the grid and group size the weights will be stored with (its own clipping search off). */
    public AwqTransform(LlamaModel model, RtnQuantizer quantizer, AwqSettings settings) {
        // The v→o and up→down folds need o's and down's inputs to be linear in v and up; BitNet's sub-norms are not.
        if (model.weights().layers().stream().anyMatch(LayerWeights::hasSubNorms)) {
            throw new IllegalArgumentException("AWQ cannot fold its scales through BitNet's sub-norms; use rtn or gptq");
        }
        this.model = model;
        this.quantizer = quantizer;
        this.settings = settings;
        this.pool = model.pool();
    }

    public record Result(LlamaWeights weights, List<AwqLayerReport> layers) {
        /** The search as recorded in a {@code .lowbit} header: settings, calibration and each block's choices. */
        public Map<String, Object> toJson(AwqSettings settings, CalibrationSet calib) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("calibration", calib.description());
            m.put("alpha_steps", settings.alphaSteps());
            m.put("clip_steps", settings.clipSteps());
            m.put("loss_tokens", settings.lossTokens());
            List<Object> blocks = new ArrayList<>();
            for (AwqLayerReport l : layers) {
                Map<String, Object> b = new LinkedHashMap<>();
                b.put("qkv", l.qkvAlpha());
                b.put("o", Float.isNaN(l.oAlpha()) ? null : l.oAlpha());
                b.put("mlp", l.mlpAlpha());
                b.put("down", l.downAlpha());
                b.put("clipped", l.clippedFraction());
                blocks.add(b);
            }
            m.put("blocks", blocks);
            return m;
        }
    }

    /** Stores one transformed block (quantizes it, typically) before the next is searched. */
    @FunctionalInterface
    public interface BlockSink {
        LayerWeights store(int layer, LayerWeights transformed);
    }

    /** The transformed fp32 weights, all blocks kept (tests, small models). */
    public Result run(CalibrationSet calib, Progress progress) {
        return run(calib, progress, (l, w) -> w);
    }

    /**
     * Transforms block by block, handing each to {@code sink} as soon as it is done, so only one block is held in
     * fp32 at a time; the result holds what the sink returned.
     */
    public Result run(CalibrationSet calib, Progress progress, BlockSink sink) {
        LlamaConfig c = model.config();
        int maxLen = CalibrationSet.longest(calib.windows());
        if (maxLen > c.contextLength()) {
            throw new IllegalArgumentException("calibration windows of " + maxLen + " tokens exceed the model's context of " + c.contextLength());
        }
        InferenceState state = model.newState(maxLen, maxLen);
        float[][] x = CalibrationSet.embed(calib.windows(), model.weights().tokenEmbedding(), c.vocabSize());
        int scoring = Math.clamp(settings.lossTokens() / maxLen, 1, x.length);
        List<LayerWeights> out = new ArrayList<>();
        List<AwqLayerReport> reports = new ArrayList<>();
        long total = (long) c.nLayers() * STEPS_PER_BLOCK;
        for (int l = 0; l < c.nLayers(); l++) {
            Block b = new Block(l, model.weights().layers().get(l), scoring, calib);
            long step = (long) l * STEPS_PER_BLOCK;
            progress.update(step, total, "block " + l + ": calibration pass");
            b.record(state, x);
            progress.update(step + 1, total, "block " + l + ": attention scales");
            b.searchAttention(state);
            progress.update(step + 2, total, "block " + l + ": MLP scales");
            b.searchMlp(state, x);
            progress.update(step + 3, total, "block " + l + ": clipping");
            out.add(sink.store(l, b.foldAndClip()));
            reports.add(b.report());
        }
        progress.update(total, total, "");
        LlamaWeights w = model.weights();
        return new Result(new LlamaWeights(w.tokenEmbedding(), out, w.finalNorm(), w.classifier()), reports);
    }

    /** One decoder block's search: its recordings, chosen scales and transformed weights. */
    private final class Block {
        final int layer;
        final LayerWeights fp;
        final int scoring;
        final int[] lengths;
        final BlockRecorder recorder;
        /** Residual stream of the scoring windows at the block's input and after its attention half (fp32). */
        final float[][] input, afterAttention;
        ScaleSearch.Choice qkv, o, mlp, down;
        ClipSearch.Stats clip = ClipSearch.Stats.NONE;

        Block(int layer, LayerWeights fp, int scoring, CalibrationSet calib) {
            this.layer = layer;
            this.fp = fp;
            this.scoring = scoring;
            this.lengths = new int[calib.windows().length];
            for (int w = 0; w < lengths.length; w++) lengths[w] = calib.windows()[w].length;
            this.recorder = new BlockRecorder(model.config(), layer);
            this.input = new float[scoring][];
            this.afterAttention = new float[scoring][];
        }

        /** Runs the fp32 block over every window, recording inputs; leaves x holding the next block's input. */
        void record(InferenceState s, float[][] x) {
            model.setLinearHook(recorder);
            try {
                for (int w = 0; w < x.length; w++) {
                    boolean keep = w < scoring;
                    recorder.keep = keep;
                    if (keep) input[w] = x[w].clone();
                    System.arraycopy(x[w], 0, s.residual(), 0, x[w].length);
                    model.attentionBlock(s, fp, layer, lengths[w], 0);
                    if (keep) afterAttention[w] = Arrays.copyOf(s.residual(), x[w].length);
                    model.feedForwardBlock(s, fp, layer, lengths[w]);
                    System.arraycopy(s.residual(), 0, x[w], 0, x[w].length);
                }
            } finally {
                model.setLinearHook(null);
            }
        }

        void searchAttention(InferenceState s) {
            DenseMatrix wq = DenseMatrix.of(fp.wq()), wk = DenseMatrix.of(fp.wk()), wv = DenseMatrix.of(fp.wv());
            qkv = ScaleSearch.search(recorder.attnIn.meanAbs(), List.of(wq, wk, wv), candidates -> {
                LayerWeights trial = withAttention(fp, candidates.get(0), candidates.get(1), candidates.get(2));
                return blockLoss(s, input, afterAttention, (st, n) -> model.attentionBlock(st, trial, layer, n, 0));
            }, quantizer, settings, pool);
            if (vFeedsOneToOne()) {
                o = ScaleSearch.search(recorder.attnOut.meanAbs(), List.of(DenseMatrix.of(fp.wo())),
                        candidates -> linearLoss(fp.wo(), candidates.get(0), recorder.attnOut), quantizer, settings, pool);
            }
        }

        void searchMlp(InferenceState s, float[][] x) {
            DenseMatrix gate = DenseMatrix.of(fp.wGate()), up = DenseMatrix.of(fp.wUp());
            mlp = ScaleSearch.search(recorder.mlpIn.meanAbs(), List.of(gate, up), candidates -> {
                LayerWeights trial = withMlp(fp, candidates.get(0), candidates.get(1));
                return blockLoss(s, afterAttention, x, (st, n) -> model.feedForwardBlock(st, trial, layer, n));
            }, quantizer, settings, pool);
            down = ScaleSearch.search(recorder.mlpHidden.meanAbs(), List.of(DenseMatrix.of(fp.wDown())),
                    candidates -> linearLoss(fp.wDown(), candidates.get(0), recorder.mlpHidden), quantizer, settings, pool);
        }

        /** o's scales can fold into v's output rows only when they are the same channels (no grouped-query attention). */
        boolean vFeedsOneToOne() {
            return model.config().kvDim() == model.config().qDim();
        }

        /** Folds the chosen scales (fp32 function unchanged), then clips every linear but q and k. */
        LayerWeights foldAndClip() {
            FoldedBlock f = FoldedBlock.fold(fp, qkv.scales(), o == null ? null : o.scales(), mlp.scales(), down.scales());
            // The inputs the folded linears see: x / s.
            recorder.attnIn.divideBy(qkv.scales());
            if (o != null) recorder.attnOut.divideBy(o.scales());
            recorder.mlpIn.divideBy(mlp.scales());
            recorder.mlpHidden.divideBy(down.scales());
            clip = ClipSearch.apply(f.wv(), recorder.attnIn, quantizer, settings, pool)
                    .plus(ClipSearch.apply(f.wo(), recorder.attnOut, quantizer, settings, pool))
                    .plus(ClipSearch.apply(f.gate(), recorder.mlpIn, quantizer, settings, pool))
                    .plus(ClipSearch.apply(f.up(), recorder.mlpIn, quantizer, settings, pool))
                    .plus(ClipSearch.apply(f.down(), recorder.mlpHidden, quantizer, settings, pool));
            return f.toWeights();
        }

        AwqLayerReport report() {
            float[] outliers = {recorder.attnIn.outlierRatio(), recorder.attnOut.outlierRatio(), recorder.mlpIn.outlierRatio(),
                    recorder.mlpHidden.outlierRatio()};
            return new AwqLayerReport(layer, qkv.alpha(), o == null ? Float.NaN : o.alpha(), mlp.alpha(), down.alpha(),
                    qkv.gain(), o == null ? Double.NaN : o.gain(), mlp.gain(), down.gain(), clip.clippedFraction(), clip.meanRatio(),
                    outliers);
        }
    }

    /** Runs one half-block on the residual stream of {@code n} tokens. */
    @FunctionalInterface
    private interface HalfBlock {
        void run(InferenceState s, int n);
    }

    /** Mean squared difference between {@code step} applied to each scoring window's {@code from} and the fp32 {@code to}. */
    private double blockLoss(InferenceState s, float[][] from, float[][] to, HalfBlock step) {
        double sum = 0;
        long count = 0;
        for (int w = 0; w < from.length; w++) {
            int len = from[w].length;
            System.arraycopy(from[w], 0, s.residual(), 0, len);
            step.run(s, len / model.config().dim());
            sum += ScaleSearch.mse(s.residual(), to[w], len) * len;
            count += len;
        }
        return sum / count;
    }

    /** Mean squared difference of one linear layer's outputs, fp32 against the candidate, on the recorded subsample. */
    private double linearLoss(WeightMatrix fp, WeightMatrix candidate, InputStats in) {
        int n = in.rowCount();
        float[] a = new float[n * fp.rows()], b = new float[n * fp.rows()];
        fp.multiply(in.rows(), a, n, pool);
        candidate.multiply(in.rows(), b, n, pool);
        return ScaleSearch.mse(a, b, a.length);
    }

    private static LayerWeights withAttention(LayerWeights w, WeightMatrix q, WeightMatrix k, WeightMatrix v) {
        return w.withMatrices(q, k, v, w.wo(), w.wGate(), w.wUp(), w.wDown());
    }

    private static LayerWeights withMlp(LayerWeights w, WeightMatrix gate, WeightMatrix up) {
        return w.withMatrices(w.wq(), w.wk(), w.wv(), w.wo(), gate, up, w.wDown());
    }
}
