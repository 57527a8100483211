package dev.lowbit.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.Golden;
import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.kernels.WorkerPool;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

class LlamaModelTest {
    // Widths chosen so no vector loop divides them evenly: every tail path runs.
    static LlamaConfig tinyConfig(RopeStyle style) {
        return new LlamaConfig(36, 52, 2, 6, 2, 6, 41, 24, 1e-5f, 10000f, style);
    }

    static int[] randomTokens(int n, int vocab, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    @ParameterizedTest
    @EnumSource(RopeStyle.class)
    void matchesNaiveReferenceImplementationWithGqaAndBiases(RopeStyle style) {
        LlamaConfig c = tinyConfig(style);
        LlamaWeights w = SyntheticWeights.random(c, 11, true, false);
        try (WorkerPool pool = new WorkerPool(2)) {
            LlamaModel model = new LlamaModel(c, w, pool);
            ReferenceForward ref = new ReferenceForward(c, w, c.contextLength());
            InferenceState s = model.newState(c.contextLength(), 8);
            int[] tokens = randomTokens(20, c.vocabSize(), 5);
            for (int pos = 0; pos < tokens.length; pos++) {
                model.forward(s, tokens, pos, 1, pos, false);
                double[] expected = ref.step(tokens[pos], pos);
                for (int i = 0; i < c.vocabSize(); i++) {
                    assertEquals(expected[i], s.logits()[i], 1e-4, "pos " + pos + " logit " + i);
                }
            }
        }
    }

    /** Qwen3's block: per-head RMSNorm of q and k before RoPE, head size 16 while dim / heads is 8, no biases. */
    @Test
    void qwen3HeadNormsMatchTheNaiveReference() {
        LlamaConfig c = new LlamaConfig(64, 172, 3, 8, 4, 16, 96, 32, 1e-6f, 1000000f, RopeStyle.ROTATE_HALF);
        LlamaWeights w = TestWeights.withHeadNorms(SyntheticWeights.random(c, 21, false, true), c.headDim(), 22);
        try (WorkerPool pool = new WorkerPool(2)) {
            LlamaModel model = new LlamaModel(c, w, pool);
            ReferenceForward ref = new ReferenceForward(c, w, c.contextLength());
            InferenceState s = model.newState(c.contextLength(), 8);
            int[] tokens = randomTokens(20, c.vocabSize(), 23);
            double difference = 0;
            LlamaModel without = new LlamaModel(c, SyntheticWeights.random(c, 21, false, true), pool);
            InferenceState s2 = without.newState(c.contextLength(), 8);
            for (int pos = 0; pos < tokens.length; pos++) {
                model.forward(s, tokens, pos, 1, pos, false);
                without.forward(s2, tokens, pos, 1, pos, false);
                double[] expected = ref.step(tokens[pos], pos);
                for (int i = 0; i < c.vocabSize(); i++) {
                    assertEquals(expected[i], s.logits()[i], 1e-4, "pos " + pos + " logit " + i);
                    difference = Math.max(difference, Math.abs(s.logits()[i] - s2.logits()[i]));
                }
            }
            assertTrue(difference > 1e-2, "the norms change the logits");
            assertPrefillMatchesDecode(model, randomTokens(23, c.vocabSize(), 24), 7);
        }
    }

    /** SmolLM3's block: Llama's, without RoPE in every fourth layer (4 layers here: the last one has none). */
    @Test
    void smolLm3LayersWithoutRopeMatchTheNaiveReference() {
        LlamaConfig c = new LlamaConfig(64, 172, 4, 8, 4, 8, 96, 32, 1e-6f, 10000f, RopeStyle.ADJACENT_PAIRS).withNoRopeEvery(4);
        assertTrue(c.ropeInLayer(0) && c.ropeInLayer(2) && !c.ropeInLayer(3));
        LlamaWeights w = SyntheticWeights.random(c, 51, false, true);
        try (WorkerPool pool = new WorkerPool(2)) {
            LlamaModel model = new LlamaModel(c, w, pool), everyLayer = new LlamaModel(c.withNoRopeEvery(0), w, pool);
            ReferenceForward ref = new ReferenceForward(c, w, c.contextLength());
            InferenceState s = model.newState(c.contextLength(), 8), s2 = everyLayer.newState(c.contextLength(), 8);
            int[] tokens = randomTokens(16, c.vocabSize(), 52);
            double difference = 0;
            for (int pos = 0; pos < tokens.length; pos++) {
                model.forward(s, tokens, pos, 1, pos, false);
                everyLayer.forward(s2, tokens, pos, 1, pos, false);
                double[] expected = ref.step(tokens[pos], pos);
                for (int i = 0; i < c.vocabSize(); i++) {
                    assertEquals(expected[i], s.logits()[i], 1e-4, "pos " + pos + " logit " + i);
                    difference = Math.max(difference, Math.abs(s.logits()[i] - s2.logits()[i]));
                }
            }
            assertTrue(difference > 1e-3, "the layer without RoPE changes the logits");
        }
    }

    /**
     * Gemma 2's block: embedding × √d, a query scale of its own, tanh soft-caps on attention scores and logits
     * (small caps here, so that they bite), a sliding window of 5 on even layers, post-norms, GELU. 16 positions:
     * the window slides. Each trait is also switched off alone, and the logits must move.
     */
    @Test
    void gemma2BlockMatchesTheNaiveReference() {
        LlamaConfig base = new LlamaConfig(48, 100, 2, 4, 2, 16, 96, 32, 1e-6f, 10000f, RopeStyle.ROTATE_HALF);
        ModelTraits gemma2 = ModelTraits.LLAMA.withActivation(ModelTraits.Activation.GELU_TANH).withEmbeddingScale((float) Math.sqrt(48))
                .withQueryScale((float) (1 / Math.sqrt(12))).withSoftcaps(1.5f, 4f).withSlidingWindow(5, ModelTraits.everyLayerBut(2, 2), null);
        assertTrue(gemma2.slides(0) && !gemma2.slides(1));
        LlamaConfig c = base.withTraits(gemma2);
        LlamaWeights w = TestWeights.withPostNorms(SyntheticWeights.random(c, 71, false, true), c.dim(), 72);
        int[] tokens = randomTokens(16, c.vocabSize(), 73);
        try (WorkerPool pool = new WorkerPool(2)) {
            LlamaModel model = new LlamaModel(c, w, pool);
            assertMatchesReference(model, tokens);
            assertPrefillMatchesDecode(model, randomTokens(23, c.vocabSize(), 74), 7);
            for (ModelTraits without : List.of(gemma2.withActivation(ModelTraits.Activation.SILU), gemma2.withEmbeddingScale(1f),
                    gemma2.withQueryScale(0f), gemma2.withSoftcaps(0f, 4f), gemma2.withSoftcaps(1.5f, 0f),
                    gemma2.withSlidingWindow(0, null, null))) {
                assertTrue(maxDifference(model, new LlamaModel(c.withTraits(without), w, pool), tokens) > 1e-3, without + " changes nothing");
            }
        }
    }

    /**
     * Gemma 3's block: Gemma 2's without soft-caps, with q/k norms, and sliding layers (all but every third here)
     * rotating with a RoPE base of their own.
     */
    @Test
    void gemma3BlockMatchesTheNaiveReference() {
        LlamaConfig base = new LlamaConfig(48, 100, 3, 4, 1, 16, 96, 32, 1e-6f, 1000000f, RopeStyle.ROTATE_HALF);
        ModelTraits gemma3 = ModelTraits.LLAMA.withActivation(ModelTraits.Activation.GELU_TANH).withEmbeddingScale((float) Math.sqrt(48))
                .withSlidingWindow(4, ModelTraits.everyLayerBut(3, 3), Rope.standardFrequencies(16, 10000));
        LlamaConfig c = base.withTraits(gemma3);
        LlamaWeights w = TestWeights.withPostNorms(TestWeights.withHeadNorms(SyntheticWeights.random(c, 81, false, true), 16, 82), c.dim(), 83);
        int[] tokens = randomTokens(12, c.vocabSize(), 84);
        try (WorkerPool pool = new WorkerPool(2)) {
            LlamaModel model = new LlamaModel(c, w, pool);
            assertMatchesReference(model, tokens);
            assertPrefillMatchesDecode(model, randomTokens(23, c.vocabSize(), 85), 5);
            LlamaModel globalRope = new LlamaModel(c.withTraits(gemma3.withSlidingWindow(4, ModelTraits.everyLayerBut(3, 3), null)), w, pool);
            assertTrue(maxDifference(model, globalRope, tokens) > 1e-3, "the sliding layers' RoPE base changes the logits");
        }
    }

    /** Phi-3.5/Phi-4-mini's RoPE: only the first half of each head rotates, and LongRoPE's magnitude scales cos and sin. */
    @Test
    void partialRotaryWithMagnitudeMatchesTheNaiveReference() {
        double[] freqs = Rope.standardFrequencies(8, 10000);
        for (int i = 0; i < freqs.length; i++) freqs[i] /= 1 + i; // per-pair factors, as LongRoPE's short/long ones
        LlamaConfig c = new LlamaConfig(64, 100, 2, 4, 2, 16, 96, 32, 1e-5f, 10000f, RopeStyle.ROTATE_HALF).withRopeFrequencies(freqs)
                .withTraits(ModelTraits.LLAMA.withRopeMagnitude(1.19f));
        assertEquals(8, c.ropeDim());
        LlamaWeights w = SyntheticWeights.random(c, 91, false, false);
        try (WorkerPool pool = new WorkerPool(2)) {
            LlamaModel model = new LlamaModel(c, w, pool);
            assertMatchesReference(model, randomTokens(12, c.vocabSize(), 92));
            assertPrefillMatchesDecode(model, randomTokens(23, c.vocabSize(), 93), 7);
        }
    }

    /**
     * LongRoPE's long factors apply to a sequence whose context exceeds the original one (llama.cpp's rule): a state of
     * 16 positions runs the short factors, one of 32 the long ones, each against the reference with the same context.
     */
    @Test
    void longRopeFactorsBeyondTheOriginalContext() {
        double[] shortFreqs = Rope.standardFrequencies(16, 10000), longFreqs = shortFreqs.clone();
        for (int i = 0; i < longFreqs.length; i++) longFreqs[i] /= 4 + i;
        LlamaConfig c = new LlamaConfig(64, 100, 2, 4, 2, 16, 96, 32, 1e-5f, 10000f, RopeStyle.ROTATE_HALF)
                .withTraits(ModelTraits.LLAMA.withRopeMagnitude(1.1f).withLongRope(longFreqs, 16));
        LlamaWeights w = SyntheticWeights.random(c, 95, false, false);
        int[] tokens = randomTokens(12, c.vocabSize(), 96);
        try (WorkerPool pool = new WorkerPool(2)) {
            LlamaModel model = new LlamaModel(c, w, pool);
            double difference = 0;
            InferenceState shortCtx = model.newState(16, 1), longCtx = model.newState(32, 1);
            ReferenceForward shortRef = new ReferenceForward(c, w, 16), longRef = new ReferenceForward(c, w, 32);
            for (int pos = 0; pos < tokens.length; pos++) {
                model.forward(shortCtx, tokens, pos, 1, pos, false);
                model.forward(longCtx, tokens, pos, 1, pos, false);
                double[] es = shortRef.step(tokens[pos], pos), el = longRef.step(tokens[pos], pos);
                for (int i = 0; i < c.vocabSize(); i++) {
                    assertEquals(es[i], shortCtx.logits()[i], 1e-4, "short, pos " + pos);
                    assertEquals(el[i], longCtx.logits()[i], 1e-4, "long, pos " + pos);
                    difference = Math.max(difference, Math.abs(shortCtx.logits()[i] - longCtx.logits()[i]));
                }
            }
            assertTrue(difference > 1e-3, "the long factors change the logits");
        }
    }

    /** Token by token, the model's logits against {@link ReferenceForward}'s. */
    private static void assertMatchesReference(LlamaModel model, int[] tokens) {
        LlamaConfig c = model.config();
        ReferenceForward ref = new ReferenceForward(c, model.weights(), c.contextLength());
        InferenceState s = model.newState(c.contextLength(), 8);
        for (int pos = 0; pos < tokens.length; pos++) {
            model.forward(s, tokens, pos, 1, pos, false);
            double[] expected = ref.step(tokens[pos], pos);
            for (int i = 0; i < c.vocabSize(); i++) assertEquals(expected[i], s.logits()[i], 1e-4, "pos " + pos + " logit " + i);
        }
    }

    /** The largest logit difference between two models over a prompt, all positions. */
    private static double maxDifference(LlamaModel a, LlamaModel b, int[] tokens) {
        InferenceState sa = a.newState(a.config().contextLength(), tokens.length), sb = b.newState(b.config().contextLength(), tokens.length);
        a.forward(sa, tokens, 0, tokens.length, 0, true);
        b.forward(sb, tokens, 0, tokens.length, 0, true);
        double d = 0;
        for (int i = 0; i < tokens.length * a.config().vocabSize(); i++) d = Math.max(d, Math.abs(sa.logits()[i] - sb.logits()[i]));
        return d;
    }

    @ParameterizedTest
    @EnumSource(RopeStyle.class)
    void batchedPrefillEqualsTokenByTokenDecode(RopeStyle style) {
        LlamaConfig c = tinyConfig(style);
        LlamaWeights w = SyntheticWeights.random(c, 12, false, true);
        try (WorkerPool pool = new WorkerPool(2)) {
            assertPrefillMatchesDecode(new LlamaModel(c, w, pool), randomTokens(23, c.vocabSize(), 9), 7);
        }
    }

    @Test
    void batchedPrefillEqualsTokenByTokenDecodeOnStories260K() {
        try (LoadedModel m = ModelLoader.load(Golden.MODEL, Golden.TOKENIZER, 2)) {
            int[] tokens = m.tokenizer().encode("Once upon a time, there was a little girl named Lily. She loved to play.", true, false);
            assertPrefillMatchesDecode(m.model(), tokens, 16);
        }
    }

    /** Runs tokens in batches of {@code batch} with all logits, and one at a time; logits agree within 1e-4. */
    static void assertPrefillMatchesDecode(LlamaModel model, int[] tokens, int batch) {
        int vocab = model.config().vocabSize();
        InferenceState batched = model.newState(tokens.length, batch);
        float[] all = new float[tokens.length * vocab];
        for (int done = 0; done < tokens.length; done += batch) {
            int n = Math.min(batch, tokens.length - done);
            model.forward(batched, tokens, done, n, done, true);
            System.arraycopy(batched.logits(), 0, all, done * vocab, n * vocab);
        }
        InferenceState single = model.newState(tokens.length, 1);
        for (int pos = 0; pos < tokens.length; pos++) {
            model.forward(single, tokens, pos, 1, pos, false);
            for (int i = 0; i < vocab; i++) {
                assertEquals(single.logits()[i], all[pos * vocab + i], 1e-4, "pos " + pos + " logit " + i);
            }
        }
        // The last-position-only mode gives the same row as the all-logits mode.
        InferenceState last = model.newState(tokens.length, tokens.length);
        model.forward(last, tokens, 0, tokens.length, 0, false);
        for (int i = 0; i < vocab; i++) assertEquals(all[(tokens.length - 1) * vocab + i], last.logits()[i], 1e-4);
    }

    @Test
    void hookSeesEveryLinearInputAndChangesNothing() {
        LlamaConfig c = tinyConfig(RopeStyle.ROTATE_HALF);
        LlamaWeights w = SyntheticWeights.random(c, 13, false, false);
        int[] tokens = randomTokens(5, c.vocabSize(), 1);
        try (WorkerPool pool = new WorkerPool(1)) {
            LlamaModel model = new LlamaModel(c, w, pool);
            InferenceState s = model.newState(8, 8);
            model.forward(s, tokens, 0, 5, 0, true);
            float[] without = s.logits().clone();

            List<String> seen = new ArrayList<>();
            model.setLinearHook((layer, kind, input, batch, cols) -> {
                seen.add(layer + ":" + kind + ":" + batch + "x" + cols);
            });
            s = model.newState(8, 8);
            model.forward(s, tokens, 0, 5, 0, true);
            assertArrayEquals(without, java.util.Arrays.copyOf(s.logits(), without.length), 1e-5f); // last bit: see F32MatrixTest
            List<String> expected = new ArrayList<>();
            for (int l = 0; l < c.nLayers(); l++) {
                for (LinearKind k : new LinearKind[] {LinearKind.Q, LinearKind.K, LinearKind.V, LinearKind.O,
                        LinearKind.GATE, LinearKind.UP, LinearKind.DOWN}) {
                    int cols = k == LinearKind.O ? c.qDim() : k == LinearKind.DOWN ? c.hiddenDim() : c.dim();
                    expected.add(l + ":" + k + ":5x" + cols);
                }
            }
            expected.add("-1:CLASSIFIER:5x" + c.dim());
            assertEquals(expected, seen);
        }
    }

    @Test
    void rejectsPositionsPastTheContextAndBadTokens() {
        LlamaConfig c = tinyConfig(RopeStyle.ADJACENT_PAIRS);
        try (WorkerPool pool = new WorkerPool(1)) {
            LlamaModel model = new LlamaModel(c, SyntheticWeights.random(c, 1, false, true), pool);
            InferenceState s = model.newState(4, 4);
            assertThrows(IllegalArgumentException.class, () -> model.forward(s, new int[] {1, 2}, 0, 2, 3, false));
            assertThrows(IllegalArgumentException.class, () -> model.forward(s, new int[] {c.vocabSize()}, 0, 1, 0, false));
            assertThrows(IllegalArgumentException.class, () -> model.newState(c.contextLength() + 1, 1));
        }
    }

    @Test
    void weightShapesAreValidatedAgainstTheConfig() {
        LlamaConfig c = tinyConfig(RopeStyle.ADJACENT_PAIRS);
        LlamaConfig wider = new LlamaConfig(36, 60, 2, 6, 2, 6, 41, 24, 1e-5f, 10000f, RopeStyle.ADJACENT_PAIRS);
        LlamaWeights w = SyntheticWeights.random(c, 1, false, true);
        try (WorkerPool pool = new WorkerPool(1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new LlamaModel(wider, w, pool));
            assertEquals("layer 0: gate is 52x36, expected 60x36", e.getMessage());
        }
    }
}
