package dev.lowbit.quant.awq;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.eval.KlDivergence;
import dev.lowbit.engine.eval.KlDivergenceResult;
import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.generate.SelfGeneratedText;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.quant.ModelQuantizer;
import dev.lowbit.quant.QuantRecipe;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.TensorPrecision;
import dev.lowbit.quant.grid.Grid;
import dev.lowbit.quant.grid.IntegerGrid;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** AWQ end to end on the real stories260K weights. */
class AwqTransformTest {
    static LoadedModel base;
    static CalibrationSet calib;
    static int[] text;

    @BeforeAll
    static void load() throws Exception {
        base = ModelLoader.load(SharedData.require("models/stories260K/stories260K.bin"), null, 2);
        int[] generated = SelfGeneratedText.sample(base.model(), base.tokenizer(), 4096, 512, 99, Progress.NONE);
        calib = CalibrationSet.of(generated, base.tokenizer().bos(), 16, 256, "self-generated");
        text = base.tokenizer().encode(Files.readString(SharedData.require("data/tinystories/tinystories_sample.txt")), false, false);
    }

    @AfterAll
    static void close() {
        base.close();
    }

    static AwqTransform.Result awq(Grid grid, int group, AwqSettings settings) {
        return new AwqTransform(base.model(), new RtnQuantizer(grid, group, false), settings).run(calib, Progress.NONE);
    }

    static LlamaWeights quantize(LlamaWeights w, Grid grid, int group) {
        QuantRecipe recipe = new QuantRecipe("rtn", grid, group, false, TensorPrecision.F32, List.of(), false);
        return ModelQuantizer.quantize(w, recipe, base.model().pool(), Progress.NONE).weights();
    }

    @Test
    void alphaZeroWithoutClippingIsRtn() {
        Grid grid = new IntegerGrid(3, false);
        AwqTransform.Result r = awq(grid, 32, new AwqSettings(1, 0, 4096));
        Map<String, WeightMatrix> awq = NamedWeights.of(quantize(r.weights(), grid, 32)).matrices();
        Map<String, WeightMatrix> rtn = NamedWeights.of(quantize(base.model().weights(), grid, 32)).matrices();
        assertEquals(rtn.keySet(), awq.keySet());
        for (String name : rtn.keySet()) {
            WeightMatrix a = awq.get(name), b = rtn.get(name);
            float[] ra = new float[a.cols()], rb = new float[b.cols()];
            for (int row = 0; row < a.rows(); row++) {
                a.readRow(row, ra, 0);
                b.readRow(row, rb, 0);
                assertArrayEquals(rb, ra, name + " row " + row);
            }
        }
    }

    @Test
    void scalingAloneKeepsTheFp32Model() {
        AwqTransform.Result r = awq(new IntegerGrid(3, false), 32, new AwqSettings(20, 0, 4096));
        assertTrue(r.layers().stream().anyMatch(l -> l.qkvAlpha() > 0 || l.mlpAlpha() > 0 || l.downAlpha() > 0), "some group scaled");
        LlamaModel folded = new LlamaModel(base.model().config(), r.weights(), base.model().pool());
        KlDivergenceResult k = KlDivergence.evaluate(base.model(), folded, text, 512, base.tokenizer().bos(), 128, Progress.NONE);
        assertEquals(1.0, k.top1Agreement());
        assertTrue(k.meanKld() < 1e-9, "KLD " + k.meanKld());
    }

    @Test
    void awqBeatsRtnAtThreeBits() {
        Grid grid = new IntegerGrid(3, false);
        AwqTransform.Result r = awq(grid, 32, AwqSettings.DEFAULT);
        LlamaModel awq = new LlamaModel(base.model().config(), quantize(r.weights(), grid, 32), base.model().pool());
        LlamaModel rtn = new LlamaModel(base.model().config(), quantize(base.model().weights(), grid, 32), base.model().pool());
        double kAwq = KlDivergence.evaluate(base.model(), awq, text, 512, base.tokenizer().bos(), 128, Progress.NONE).meanKld();
        double kRtn = KlDivergence.evaluate(base.model(), rtn, text, 512, base.tokenizer().bos(), 128, Progress.NONE).meanKld();
        System.out.printf("int3 g32 KLD: RTN %.4f, AWQ %.4f%n", kRtn, kAwq);
        for (AwqLayerReport l : r.layers()) System.out.println(l);
        assertTrue(kAwq < kRtn, "AWQ " + kAwq + " vs RTN " + kRtn);
    }
}
