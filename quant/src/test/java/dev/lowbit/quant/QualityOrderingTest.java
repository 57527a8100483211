package dev.lowbit.quant;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.eval.KlDivergence;
import dev.lowbit.engine.eval.KlDivergenceResult;
import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.format.LowbitWriter;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.quant.grid.Grid;
import dev.lowbit.quant.grid.IntegerGrid;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Orderings that must hold on the real stories260K weights (KL divergence to fp32 on the TinyStories sample). */
class QualityOrderingTest {
    static LoadedModel base;
    static int[] text;

    @BeforeAll
    static void load() throws Exception {
        base = ModelLoader.load(SharedData.require("models/stories260K/stories260K.bin"), null, 2);
        text = base.tokenizer().encode(Files.readString(SharedData.require("data/tinystories/tinystories_sample.txt")), false, false);
    }

    @AfterAll
    static void close() {
        base.close();
    }

    static QuantRecipe recipe(Grid grid, int group) {
        return new QuantRecipe("rtn", grid, group, false, TensorPrecision.F32, List.of());
    }

    static KlDivergenceResult kld(QuantRecipe recipe) {
        ModelQuantizer.Result q = ModelQuantizer.quantize(base.model().weights(), recipe, base.model().pool(), Progress.NONE);
        LlamaModel model = new LlamaModel(base.model().config(), q.weights(), base.model().pool());
        return KlDivergence.evaluate(base.model(), model, text, 512, base.tokenizer().bos(), 128, Progress.NONE);
    }

    @Test
    void fewerBitsMeanMoreDivergence() {
        double previous = 0;
        for (int bits : new int[] {8, 4, 3, 2}) {
            KlDivergenceResult r = kld(recipe(new IntegerGrid(bits, false), 32));
            assertTrue(r.meanKld() > previous, bits + " bits: KLD " + r.meanKld() + " not above " + previous);
            previous = r.meanKld();
        }
    }

    @Test
    void smallerGroupsAreNotWorse() {
        IntegerGrid int4 = new IntegerGrid(4, false);
        double g32 = kld(recipe(int4, 32)).meanKld(), g64 = kld(recipe(int4, 64)).meanKld();
        double g128 = kld(recipe(int4, 128)).meanKld(), row = kld(recipe(int4, 0)).meanKld();
        assertTrue(g32 <= g64 && g64 <= g128 && g128 <= row, g32 + " " + g64 + " " + g128 + " " + row);
    }

    @Test
    void eightBitsAreNearlyLossless() {
        KlDivergenceResult r = kld(recipe(new IntegerGrid(8, false), 32));
        assertTrue(r.meanKld() < 0.002, "KLD " + r.meanKld());
        assertTrue(r.top1Agreement() > 0.97, "top-1 " + r.top1Agreement());
        assertEquals(r.basePerplexity(), r.modelPerplexity(), 0.01 * r.basePerplexity());
    }

    @Test
    void aModelComparedWithItselfHasZeroDivergence() {
        KlDivergenceResult r = KlDivergence.evaluate(base.model(), base.model(), text, 512, 1, 128, Progress.NONE);
        assertEquals(0, r.meanKld(), 1e-9);
        assertEquals(1.0, r.top1Agreement());
        assertEquals(r.basePerplexity(), r.modelPerplexity(), 1e-6); // two passes may differ in the last bit (JIT tiers)
    }

    @Test
    void theWrittenFileBehavesLikeTheInMemoryQuantization(@TempDir Path dir) {
        QuantRecipe recipe = new QuantRecipe("rtn", new IntegerGrid(3, false), 32, true, TensorPrecision.INT8, List.of());
        ModelQuantizer.Result q = ModelQuantizer.quantize(base.model().weights(), recipe, base.model().pool(), Progress.NONE);
        Path file = dir.resolve("q.lowbit");
        LowbitWriter.write(file, base.model().config(), base.tokenizer(), null, recipe.toJson(), q.weights(), false);
        LlamaModel inMemory = new LlamaModel(base.model().config(), q.weights(), base.model().pool());
        try (LoadedModel loaded = ModelLoader.load(file, null, 2, true)) {
            KlDivergenceResult r = KlDivergence.evaluate(inMemory, loaded.model(), text, 512, 1, 128, Progress.NONE);
            assertEquals(0, r.meanKld(), 1e-9);
            assertEquals(1.0, r.top1Agreement());
            assertEquals("rtn", loaded.quantization().method());
            assertEquals(3, loaded.quantization().bits());
        }
    }
}
