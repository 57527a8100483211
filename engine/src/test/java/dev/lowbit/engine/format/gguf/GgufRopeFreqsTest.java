package dev.lowbit.engine.format.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.format.LowbitWriter;
import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.Rope;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GGUF's {@code rope_freqs} (Llama 3.1 and 3.2 carry one: a divisor per rotated pair) stays with the model: in its
 * configuration, in a model built from that configuration with other weights, and through a {@code .lowbit} file.
 */
class GgufRopeFreqsTest {
    @TempDir Path dir;

    @Test
    void ropeFreqsSurviveTheConfigurationAndALowbitFile() throws Exception {
        Path plain = dir.resolve("plain.gguf"), scaled = dir.resolve("scaled.gguf");
        Files.write(plain, GgufModelTest.stories(k -> false, new HashMap<>()).bytes());
        float[] divisors = {1, 2, 4, 8}; // head size 8: four pairs
        Files.write(scaled, GgufModelTest.stories(k -> false, new HashMap<>()).tensor("rope_freqs.weight", 0, GgufWriter.f32(divisors), 4).bytes());
        int[] prompt = new int[40];
        for (int i = 0; i < prompt.length; i++) prompt[i] = 1 + (i * 37) % 500;
        try (LoadedModel p = ModelLoader.load(plain, null, 1); LoadedModel s = ModelLoader.load(scaled, null, 1)) {
            assertFalse(p.model().config().ropeScaled());
            double[] standard = Rope.standardFrequencies(8, p.model().config().ropeTheta()), got = s.model().config().ropeFrequencies();
            for (int i = 0; i < 4; i++) assertEquals(standard[i] / divisors[i], got[i], 1e-12 * standard[i], "pair " + i);
            float[] expected = logits(s.model(), prompt);
            assertFalse(Arrays.equals(expected, logits(p.model(), prompt)), "rope_freqs changes the logits");

            LlamaModel rebuilt = new LlamaModel(s.model().config(), s.model().weights(), s.model().pool());
            assertArrayEquals(expected, logits(rebuilt, prompt));

            Path file = dir.resolve("scaled.lowbit");
            LowbitWriter.write(file, s.model().config(), s.tokenizer(), null, Map.of(), s.model().weights(), false);
            try (LoadedModel back = ModelLoader.load(file, null, 1)) {
                assertTrue(back.model().config().ropeScaled());
                assertArrayEquals(expected, logits(back.model(), prompt));
            }
        }
    }

    @Test
    void badRopeFreqsAreOneClearLine() throws Exception {
        Path bad = dir.resolve("bad.gguf");
        Files.write(bad, GgufModelTest.stories(k -> false, new HashMap<>()).tensor("rope_freqs.weight", 0, GgufWriter.f32(new float[] {1, 0, 1, 1}), 4).bytes());
        var e = org.junit.jupiter.api.Assertions.assertThrows(dev.lowbit.engine.ModelFileException.class, () -> ModelLoader.load(bad, null, 1).close());
        assertTrue(e.getMessage().contains("rope_freqs"), e.getMessage());
    }

    private static float[] logits(LlamaModel m, int[] tokens) {
        InferenceState st = m.newState(64, 64);
        m.forward(st, tokens, 0, tokens.length, 0, true);
        return Arrays.copyOf(st.logits(), tokens.length * m.config().vocabSize());
    }
}
