package dev.lowbit.engine.format.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.Golden;
import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.format.LowbitWriter;
import dev.lowbit.engine.model.LlamaModel;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Llama 3.1's {@code rope_scaling} stays with the model wherever it goes: into the configuration, a model built
 * from that configuration with other weights (as {@code generate --quantize} and {@code lowbit quantize} build
 * theirs), and a {@code .lowbit} file's header.
 */
class HfRopeScalingTest {
    @TempDir Path dir;

    /** The stories weights with head size 8: pair 0 keeps its angle, pair 1 is interpolated, pairs 2 and 3 divided by 8. */
    static final String SCALING = "\"rope_scaling\": {\"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0,"
            + " \"original_max_position_embeddings\": 64, \"rope_type\": \"llama3\"}, \"rope_theta\"";

    @Test
    void scalingSurvivesTheConfigurationAndALowbitFile() throws Exception {
        Map<String, float[][]> w = HfFolderWriter.stories();
        HfFolderWriter.write(dir.resolve("plain"), w, false, 1);
        HfFolderWriter.write(dir.resolve("scaled"), HfFolderWriter.config(true).replace("\"rope_theta\"", SCALING), w, false, 1);
        int[] prompt = new int[40];
        for (int i = 0; i < prompt.length; i++) prompt[i] = 1 + (i * 37) % 500; // 40 positions: the scaled pairs turn slower
        try (LoadedModel plain = ModelLoader.load(dir.resolve("plain"), Golden.TOKENIZER, 1);
             LoadedModel scaled = ModelLoader.load(dir.resolve("scaled"), Golden.TOKENIZER, 1)) {
            assertFalse(plain.model().config().ropeScaled());
            assertTrue(scaled.model().config().ropeScaled());
            float[] expected = HfModelTest.logits(scaled.model(), prompt);
            float[] unscaled = HfModelTest.logits(plain.model(), prompt);
            assertFalse(maxDifference(expected, unscaled) < 1e-2, "the scaling changes the logits");

            // A model built from the configuration with other weight objects, as the quantizers build theirs.
            LlamaModel rebuilt = new LlamaModel(scaled.model().config(), scaled.model().weights(), scaled.model().pool());
            assertArrayEquals(expected, HfModelTest.logits(rebuilt, prompt));

            // Through a .lowbit file (fp32 weights kept as they are).
            Path file = dir.resolve("scaled.lowbit");
            LowbitWriter.write(file, scaled.model().config(), scaled.tokenizer(), null, Map.of(), scaled.model().weights(), false);
            try (LoadedModel back = ModelLoader.load(file, null, 1)) {
                assertTrue(back.model().config().ropeScaled());
                assertArrayEquals(scaled.model().config().ropeFrequencies(), back.model().config().ropeFrequencies());
                assertArrayEquals(expected, HfModelTest.logits(back.model(), prompt));
            }
        }
    }

    static float maxDifference(float[] a, float[] b) {
        float m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
