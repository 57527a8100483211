package dev.lowbit.quant;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.eval.KlDivergence;
import dev.lowbit.engine.eval.KlDivergenceResult;
import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.generate.Generator;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.engine.sampling.Sampler;
import dev.lowbit.engine.sampling.SamplerSettings;
import dev.lowbit.kernels.LutMatrix;
import dev.lowbit.quant.grid.IntegerGrid;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The table-lookup kernel on the real stories260K model, against the reference dequantizing kernel. */
class TableLookupQualityTest {
    static LoadedModel base;
    static LlamaModel lut, reference;

    @BeforeAll
    static void quantize() {
        base = ModelLoader.load(SharedData.require("models/stories260K/stories260K.bin"), null, 2);
        IntegerGrid int4 = new IntegerGrid(4, false);
        var withLut = ModelQuantizer.quantize(base.model().weights(),
                new QuantRecipe("rtn", int4, 32, false, TensorPrecision.INT8, List.of(), true), base.model().pool(), Progress.NONE);
        var plain = ModelQuantizer.quantize(base.model().weights(),
                new QuantRecipe("rtn", int4, 32, false, TensorPrecision.INT8, List.of(), false), base.model().pool(), Progress.NONE);
        assertTrue(NamedWeights.of(withLut.weights()).matrices().get("blk.0.attn_q") instanceof LutMatrix, "packed for the LUT kernel");
        lut = new LlamaModel(base.model().config(), withLut.weights(), base.model().pool());
        reference = new LlamaModel(base.model().config(), plain.weights(), base.model().pool());
    }

    @AfterAll
    static void close() {
        base.close();
    }

    /**
     * Greedy decoding amplifies any difference once two logits are close, so the issue accepts either equal ids or a
     * stated, small KLD difference (next test). Measured: the runs agree on the first 101 ids (int8 tables).
     */
    @Test
    void greedyIdsOfTheGoldenPromptAgreeForALongPrefix() {
        int[] prompt = base.tokenizer().encode("Once upon a time", true, false);
        int[] viaLut = new Generator(lut, base.tokenizer(), 512, 1).generate(prompt, 252, new Sampler(SamplerSettings.greedy(), 512), s -> { }).generatedTokens();
        int[] viaReference = new Generator(reference, base.tokenizer(), 512, 1).generate(prompt, 252, new Sampler(SamplerSettings.greedy(), 512), s -> { }).generatedTokens();
        int same = 0;
        while (same < Math.min(viaLut.length, viaReference.length) && viaLut[same] == viaReference[same]) same++;
        System.out.printf("greedy ids agree for the first %d of %d / %d tokens%n", same, viaLut.length, viaReference.length);
        assertTrue(same >= 40, "greedy ids agree only for the first " + same + " tokens");
    }

    @Test
    void sevenBitTablesCostLittle() throws Exception {
        int[] text = base.tokenizer().encode(Files.readString(SharedData.require("data/tinystories/tinystories_sample.txt")), false, false);
        // Batch 1 runs the decode (table-lookup) kernel for every position.
        KlDivergenceResult viaLut = KlDivergence.evaluate(base.model(), lut, text, 512, 1, 1, Progress.NONE);
        KlDivergenceResult viaReference = KlDivergence.evaluate(base.model(), reference, text, 512, 1, 1, Progress.NONE);
        double cost = viaLut.meanKld() - viaReference.meanKld();
        assertTrue(Math.abs(cost) < 0.1 * viaReference.meanKld(),
                "table quantization changes KLD by " + cost + " (reference " + viaReference.meanKld() + ")");
        // Between the models themselves the divergence is far below the quantization's own.
        KlDivergenceResult between = KlDivergence.evaluate(reference, lut, text, 512, 1, 1, Progress.NONE);
        assertTrue(between.meanKld() < 0.2 * viaReference.meanKld(), "LUT vs reference KLD " + between.meanKld());
        System.out.printf("stories260K int4 g32: KLD to fp32 via LUT %.6f, via reference %.6f, LUT vs reference %.6f, top-1 %.4f%n",
                viaLut.meanKld(), viaReference.meanKld(), between.meanKld(), between.top1Agreement());
    }
}
