package dev.lowbit.quant;

import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.model.LayerWeights;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.quant.awq.AwqSettings;
import dev.lowbit.quant.awq.AwqTransform;
import dev.lowbit.quant.awq.CalibrationSet;
import dev.lowbit.quant.discquant.DiscQuantBlocks;
import dev.lowbit.quant.discquant.DiscQuantModel;
import dev.lowbit.quant.discquant.DiscQuantResult;
import dev.lowbit.quant.discquant.DiscQuantSettings;
import dev.lowbit.quant.gptq.GptqMatrix;
import dev.lowbit.quant.gptq.GptqModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * One quantization of a model by a {@link QuantMethod}: AWQ's transformation when the method has it, then RTN or a
 * data-dependent rounding, then every tensor stored by the recipe. What each step chose is recorded for the
 * {@code .lowbit} header.
 */
public final class MethodRun {
    private MethodRun() {}

    /** The settings of the steps a method may take (null where the method does not take that step). */
    public record Settings(AwqSettings awq, DiscQuantSettings discQuant, float damp, boolean actOrder) {}

    /**
     * What came out: the stored model, the model it was rounded from (AWQ-transformed or not), the header entries,
     * and each step's own result (null when the method did not take it).
     */
    public record Outcome(ModelQuantizer.Result result, LlamaModel source, Map<String, Object> recorded, AwqTransform.Result awq,
                          double awqSeconds, GptqModel.Result gptq, DiscQuantResult discQuant) {}

    /** {@code progress} gives the progress display of a step by its name ("awq", "gptq", "discquant", "quantize"). */
    public static Outcome run(QuantMethod m, LlamaModel model, QuantRecipe recipe, CalibrationSet calib, Settings s,
                              Function<String, Progress> progress) {
        if (m.needsCalibration() && calib == null) throw new IllegalArgumentException("--method " + m.label() + " needs calibration text");
        Map<String, Object> recorded = new LinkedHashMap<>(recipe.toJson());
        RtnQuantizer plain = new RtnQuantizer(recipe.grid(), recipe.groupSize(), false);
        if (m == QuantMethod.RTN) {
            return new Outcome(ModelQuantizer.quantize(model.weights(), recipe, model.pool(), progress.apply("quantize")), model, recorded, null, 0,
                    null, null);
        }
        if (m == QuantMethod.AWQ) {
            long t0 = System.nanoTime();
            // Each block is rounded as soon as AWQ has transformed it: one block in fp32 at a time.
            ModelQuantizer q = new ModelQuantizer(model.weights(), recipe, model.pool(), Progress.NONE);
            AwqTransform.Result a = new AwqTransform(model, plain, s.awq()).run(calib, progress.apply("awq"), q::layer);
            recorded.put("awq", a.toJson(s.awq(), calib));
            return new Outcome(q.finish(model.weights(), a.weights().layers()), model, recorded, a, (System.nanoTime() - t0) / 1e9, null, null);
        }
        AwqTransform.Result awq = null;
        double awqSeconds = 0;
        LlamaModel source = model;
        if (m.awq()) { // AWQ's scales and clips on the fp32 weights, then the data-dependent rounding of those
            long t0 = System.nanoTime();
            awq = new AwqTransform(model, plain, s.awq()).run(calib, progress.apply("awq"));
            awqSeconds = (System.nanoTime() - t0) / 1e9;
            recorded.put("awq", awq.toJson(s.awq(), calib));
            source = new LlamaModel(model.config(), awq.weights(), model.pool());
        }
        RtnQuantizer rtn = new RtnQuantizer(recipe.grid(), recipe.groupSize(), recipe.search());
        GptqModel.Result gptq = null;
        DiscQuantResult dq = null;
        List<GroupCodes[]> rounded;
        if (m.gptq()) {
            gptq = new GptqModel(source, new GptqMatrix(recipe.grid(), rtn, s.damp(), s.actOrder())).run(calib.windows(), progress.apply("gptq"));
            Map<String, Object> info = new LinkedHashMap<>();
            info.put("calibration", calib.description());
            info.put("damp", s.damp());
            info.put("act_order", s.actOrder());
            info.put("block_size", GptqMatrix.BLOCK);
            info.put("seconds", gptq.seconds());
            recorded.put("gptq", info);
            rounded = gptq.blocks();
        } else {
            DiscQuantSettings d = s.discQuant();
            dq = d.scope() == DiscQuantSettings.Scope.MODEL
                    ? new DiscQuantModel(source.config(), source.weights(), recipe.grid(), rtn, d, source.pool()).run(calib.windows(), progress.apply("discquant"))
                    : new DiscQuantBlocks(source.config(), source.weights(), recipe.grid(), rtn, d, source.pool()).run(calib.windows(), progress.apply("discquant"));
            recorded.put("discquant", dq.toJson(d, calib.description()));
            rounded = dq.blocks();
        }
        ModelQuantizer q = new ModelQuantizer(source.weights(), recipe, source.pool(), Progress.NONE);
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < rounded.size(); l++) layers.add(q.layer(l, source.weights().layers().get(l), rounded.get(l)));
        return new Outcome(q.finish(source.weights(), layers), source, recorded, awq, awqSeconds, gptq, dq);
    }
}
