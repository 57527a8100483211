package dev.lowbit.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowbit.engine.eval.Perplexity;
import dev.lowbit.engine.eval.PerplexityResult;
import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.generate.GenerationResult;
import dev.lowbit.engine.generate.Generator;
import dev.lowbit.engine.sampling.Sampler;
import dev.lowbit.engine.sampling.SamplerSettings;
import java.nio.file.Files;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The real stories260K model against golden_reference.json from an independent numpy implementation of run.c. */
class Stories260KGoldenTest {
    static LoadedModel loaded;

    @BeforeAll
    static void load() {
        loaded = ModelLoader.load(Golden.MODEL, Golden.TOKENIZER, 2);
    }

    @AfterAll
    static void close() {
        loaded.close();
    }

    private static GenerationResult greedy(int n) {
        int[] prompt = loaded.tokenizer().encode("Once upon a time", true, false);
        assertArrayEquals(Golden.ints("greedy_prompt_once_upon_a_time", "prompt_ids"), prompt);
        Generator g = new Generator(loaded.model(), loaded.tokenizer(), 512, 64);
        return g.generate(prompt, n, new Sampler(SamplerSettings.greedy(), 512), s -> {});
    }

    @Test
    void firstTwentyGreedyIdsMatchGolden() {
        assertArrayEquals(Golden.ints("greedy_prompt_once_upon_a_time", "first_20_generated_ids"), greedy(20).generatedTokens());
    }

    @Test
    void fullGreedyRunMatchesGoldenIdsAndText() {
        int[] expected = Golden.ints("greedy_prompt_once_upon_a_time", "generated_ids_256_steps");
        GenerationResult r = greedy(expected.length);
        assertArrayEquals(expected, r.generatedTokens());
        String text = loaded.tokenizer().decode(concat(r.promptTokens(), r.generatedTokens()));
        assertEquals(Golden.string("greedy_prompt_once_upon_a_time", "text_256_steps"), text);
    }

    @Test
    void unpromptedRunMatchesLlama2cExpectedOutput() {
        // run.c -n 200 from BOS samples at positions 0..199: 200 generated tokens.
        Generator g = new Generator(loaded.model(), loaded.tokenizer(), 512, 64);
        StringBuilder streamed = new StringBuilder();
        GenerationResult r = g.generate(new int[] {1}, 200, new Sampler(SamplerSettings.greedy(), 512), streamed::append);
        assertEquals(Golden.string("greedy_no_prompt_200_steps", "text"), streamed.toString());
        assertEquals(200, r.generatedTokens().length);
    }

    @Test
    void nllOverGoldenWindowMatches() throws Exception {
        String sample = Files.readString(SharedData.require("data/tinystories/tinystories_sample.txt"));
        String story = sample.split("<\\|endoftext\\|>")[0].strip();
        int[] ids = loaded.tokenizer().encode(story, true, false);
        int[] window = Arrays.copyOf(ids, 256);
        int[] first12 = Golden.ints("nll_reference", "first_12_ids");
        assertArrayEquals(first12, Arrays.copyOf(window, 12));
        int[] text = Arrays.copyOfRange(window, 1, 256); // Perplexity puts BOS back at the window start
        PerplexityResult r = Perplexity.evaluate(loaded.model(), text, 256, 1, 64, Progress.NONE);
        assertEquals(1, r.windows());
        assertEquals(255, r.predictions());
        assertEquals(Golden.number("nll_reference", "mean_nll_nats"), r.meanNll(), 1e-3);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
