package dev.lowbit.engine.format.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.format.LowbitWriter;
import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.TestWeights;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.RopeStyle;
import dev.lowbit.engine.model.SyntheticWeights;
import dev.lowbit.kernels.WorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GGUF architectures beyond Llama's block, from random weights: a {@code qwen3} file (q/k norms, head size 16 with
 * dim / heads = 8) and a {@code smollm3} one (no RoPE in every fourth layer) run as the models they were written from.
 */
class GgufArchitecturesTest {
    @TempDir Path dir;

    @Test
    void qwen3GgufRunsAsItsWeights() throws Exception {
        LlamaConfig c = new LlamaConfig(64, 172, 3, 8, 4, 16, 512, 64, 1e-6f, 1000000f, RopeStyle.ROTATE_HALF);
        LlamaWeights w = TestWeights.withHeadNorms(SyntheticWeights.random(c, 31, false, true), c.headDim(), 32);
        Path file = dir.resolve("qwen3.gguf");
        Files.write(file, write(c, w).bytes());
        int[] prompt = {1, 72, 300, 17, 5, 260, 44, 9, 400, 12};
        try (LoadedModel m = ModelLoader.load(file, null, 1); WorkerPool pool = new WorkerPool(1)) {
            assertEquals(16, m.model().config().headDim());
            assertNotNull(m.model().weights().layers().get(0).qNorm());
            float[] expected = logits(new LlamaModel(c, w, pool), prompt);
            assertArrayEquals(expected, logits(m.model(), prompt));
            // and through a .lowbit file, whose reader finds the norms by their names
            Path lowbit = dir.resolve("qwen3.lowbit");
            LowbitWriter.write(lowbit, m.model().config(), m.tokenizer(), null, Map.of(), m.model().weights(), false);
            try (LoadedModel back = ModelLoader.load(lowbit, null, 1)) {
                assertArrayEquals(expected, logits(back.model(), prompt));
            }
        }
    }

    /** A {@code smollm3} GGUF is Llama's block with no RoPE in every fourth layer; a .lowbit file keeps that. */
    @Test
    void smolLm3GgufSkipsRopeInEveryFourthLayer() throws Exception {
        LlamaConfig c = new LlamaConfig(64, 172, 4, 8, 4, 8, 512, 64, 1e-6f, 10000f, RopeStyle.ADJACENT_PAIRS);
        LlamaWeights w = SyntheticWeights.random(c, 61, false, true);
        Path file = dir.resolve("smollm3.gguf");
        Files.write(file, write("smollm3", c, w).bytes());
        int[] prompt = {1, 72, 300, 17, 5, 260, 44, 9, 400, 12};
        try (LoadedModel m = ModelLoader.load(file, null, 1); WorkerPool pool = new WorkerPool(1)) {
            assertEquals(4, m.model().config().noRopeEvery());
            float[] expected = logits(new LlamaModel(c.withNoRopeEvery(4), w, pool), prompt);
            assertArrayEquals(expected, logits(m.model(), prompt));
            Path lowbit = dir.resolve("smollm3.lowbit");
            LowbitWriter.write(lowbit, m.model().config(), m.tokenizer(), null, Map.of(), m.model().weights(), false);
            try (LoadedModel back = ModelLoader.load(lowbit, null, 1)) {
                assertEquals(4, back.model().config().noRopeEvery());
                assertArrayEquals(expected, logits(back.model(), prompt));
            }
        }
    }

    /** A GGUF of architecture qwen3 holding {@code w}, with the stories tokenizer (512 tokens). */
    private static GgufWriter write(LlamaConfig c, LlamaWeights w) {
        return write("qwen3", c, w);
    }

    /** A GGUF of architecture {@code arch} holding {@code w}, with the stories tokenizer (512 tokens). */
    private static GgufWriter write(String arch, LlamaConfig c, LlamaWeights w) {
        return ParityModels.header(arch, c).apply(g -> ParityModels.tensors(g, w, false));
    }

    private static float[] logits(LlamaModel m, int[] tokens) {
        InferenceState s = m.newState(64, 64);
        m.forward(s, tokens, 0, tokens.length, 0, true);
        return Arrays.copyOf(s.logits(), tokens.length * m.config().vocabSize());
    }
}
