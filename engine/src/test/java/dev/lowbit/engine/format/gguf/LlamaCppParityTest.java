package dev.lowbit.engine.format.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.format.LowbitWriter;
import dev.lowbit.engine.json.JsonObject;
import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * lowbit against llama.cpp itself on the architectures whose blocks depart from Llama's. {@link ParityModels} writes
 * each GGUF from fixed seeds; {@code src/test/resources/llamacpp-parity/NAME.json} holds what llama.cpp's prebuilt
 * libraries (node-llama-cpp 3.22.1, {@code bench/llamacpp/parity.sh}) computed on the same file: the logits after the
 * prompt and after each of its greedy tokens. lowbit runs the prompt as one batch and then llama.cpp's tokens one at a
 * time. llama.cpp keeps its KV cache in f16 and takes GELU from an f16 table, so logits agree to about 1e-3 of their
 * range, not bit for bit; each greedy choice must be the same wherever llama.cpp's top two differ by more than that.
 */
class LlamaCppParityTest {
    @TempDir Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"gemma", "gemma2", "gemma3", "phi3", "phi3-long", "llama-linear-rope", "bitnet", "stories260K"})
    void logitsMatchLlamaCpp(String name) throws Exception {
        JsonObject golden = JsonObject.readFile(Path.of("src/test/resources/llamacpp-parity/" + name + ".json"));
        long[] prompt = golden.longs("prompt"), generated = golden.longs("generated");
        List<Object> rows = golden.list("logits");
        assertArrayEquals(java.util.Arrays.stream(ParityModels.prompt(name)).asLongStream().toArray(), prompt, "the golden file's prompt");
        Path file = dir.resolve(name + ".gguf");
        Files.write(file, ParityModels.write(name).bytes());
        try (LoadedModel m = ModelLoader.load(file, null, 1)) {
            LlamaModel model = m.model();
            int vocab = model.config().vocabSize();
            InferenceState s = model.newState(64, prompt.length);
            int[] tokens = new int[prompt.length + generated.length];
            for (int i = 0; i < prompt.length; i++) tokens[i] = (int) prompt[i];
            for (int i = 0; i < generated.length; i++) tokens[prompt.length + i] = (int) generated[i];
            model.forward(s, tokens, 0, prompt.length, 0, false);
            double worst = 0;
            for (int step = 0; step <= generated.length; step++) {
                float[] expected = JsonObject.of(java.util.Map.of("row", rows.get(step)), name).floats("row");
                assertEquals(vocab, expected.length);
                double range = 0, diff = 0;
                for (int i = 0; i < vocab; i++) {
                    range = Math.max(range, Math.abs(expected[i]));
                    diff = Math.max(diff, Math.abs(expected[i] - s.logits()[i]));
                }
                worst = Math.max(worst, diff / range);
                assertTrue(diff <= 2e-3 * range, name + " step " + step + ": logits differ by " + diff + " (largest |logit| " + range + ")");
                if (step < generated.length) {
                    int llamaCpp = (int) generated[step];
                    if (margin(expected) > 4e-3 * range) assertEquals(llamaCpp, argmax(s.logits(), vocab), name + " step " + step);
                    model.forward(s, tokens, prompt.length + step, 1, prompt.length + step, false);
                }
            }
            System.out.printf("%s: largest logit difference from llama.cpp %.2e of the range%n", name, worst);
        }
    }

    /** A .lowbit file written from each of these GGUFs keeps its architecture: the same logits, bit for bit. */
    @ParameterizedTest
    @ValueSource(strings = {"gemma", "gemma2", "gemma3", "phi3", "phi3-long", "llama-linear-rope", "bitnet"})
    void lowbitFileKeepsTheArchitecture(String name) throws Exception {
        Path file = dir.resolve(name + ".gguf"), lowbit = dir.resolve(name + ".lowbit");
        Files.write(file, ParityModels.write(name).bytes());
        int[] prompt = ParityModels.prompt(name);
        try (LoadedModel m = ModelLoader.load(file, null, 1)) {
            LowbitWriter.write(lowbit, m.model().config(), m.tokenizer(), null, java.util.Map.of(), m.model().weights(), false);
            try (LoadedModel back = ModelLoader.load(lowbit, null, 1)) {
                assertEquals(m.model().config(), back.model().config());
                assertArrayEquals(allLogits(m.model(), prompt), allLogits(back.model(), prompt));
            }
        }
    }

    private static float[] allLogits(LlamaModel m, int[] tokens) {
        InferenceState s = m.newState(64, tokens.length);
        m.forward(s, tokens, 0, tokens.length, 0, true);
        return java.util.Arrays.copyOf(s.logits(), tokens.length * m.config().vocabSize());
    }

    private static int argmax(float[] v, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (v[i] > v[best]) best = i;
        return best;
    }

    /** The gap between the largest and the second largest value. */
    private static double margin(float[] v) {
        double first = Double.NEGATIVE_INFINITY, second = Double.NEGATIVE_INFINITY;
        for (float x : v) {
            if (x > first) {
                second = first;
                first = x;
            } else if (x > second) {
                second = x;
            }
        }
        return first - second;
    }
}
