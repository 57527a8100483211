package dev.lowbit.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.lowbit.kernels.WorkerPool;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Several sequences in one forward call get what each gets alone; the naive reference checks the mixed case. */
class TokenBatchTest {
    private static final LlamaConfig C = new LlamaConfig(64, 172, 3, 8, 4, 8, 96, 48, 1e-5f, 10000f, RopeStyle.ROTATE_HALF);

    /** Logits after each token of a sequence decoded alone, one token per call. */
    private static float[][] alone(LlamaModel model, int[] tokens) {
        InferenceState s = model.newState(C.contextLength(), 1);
        float[][] out = new float[tokens.length][];
        for (int p = 0; p < tokens.length; p++) {
            model.forward(s, tokens, p, 1, p, false);
            out[p] = Arrays.copyOf(s.logits(), C.vocabSize());
        }
        return out;
    }

    @Test
    void aDecodingStepOfThreeSequencesGivesEachBitForBitWhatItGetsAlone() {
        LlamaWeights w = SyntheticWeights.random(C, 3, true, false);
        try (WorkerPool pool = new WorkerPool(2)) {
            LlamaModel model = new LlamaModel(C, w, pool);
            int[][] seqs = {LlamaModelTest.randomTokens(9, C.vocabSize(), 1), LlamaModelTest.randomTokens(5, C.vocabSize(), 2),
                    LlamaModelTest.randomTokens(12, C.vocabSize(), 3)};
            InferenceState batchState = InferenceState.forBatches(C, C.contextLength(), 4);
            KvCache[] caches = new KvCache[3];
            for (int q = 0; q < 3; q++) caches[q] = new KvCache(C, C.contextLength());
            TokenBatch batch = new TokenBatch(4);
            float[][][] got = new float[3][][];
            for (int q = 0; q < 3; q++) got[q] = new float[seqs[q].length][];
            // Sequences of different lengths: each step holds the sequences not yet finished, at their own positions.
            for (int p = 0; p < 12; p++) {
                batch.clear();
                int[] logitRow = new int[3];
                for (int q = 0; q < 3; q++) logitRow[q] = p < seqs[q].length ? batch.add(caches[q], seqs[q][p], p, true) : -1;
                model.forward(batchState, batch);
                for (int q = 0; q < 3; q++) {
                    if (logitRow[q] < 0) continue;
                    int at = logitRow[q] * C.vocabSize();
                    got[q][p] = Arrays.copyOfRange(batchState.logits(), at, at + C.vocabSize());
                }
            }
            for (int q = 0; q < 3; q++) {
                float[][] expected = alone(model, seqs[q]);
                for (int p = 0; p < seqs[q].length; p++) assertArrayEquals(expected[p], got[q][p], "sequence " + q + " position " + p);
            }
        }
    }

    @Test
    void aPromptAndAnotherSequencesTokenInOneCallMatchTheNaiveReference() {
        LlamaWeights w = SyntheticWeights.random(C, 4, false, true);
        try (WorkerPool pool = new WorkerPool(2)) {
            LlamaModel model = new LlamaModel(C, w, pool);
            int[] a = LlamaModelTest.randomTokens(6, C.vocabSize(), 7), b = LlamaModelTest.randomTokens(2, C.vocabSize(), 8);
            ReferenceForward refA = new ReferenceForward(C, w, C.contextLength()), refB = new ReferenceForward(C, w, C.contextLength());
            KvCache ca = new KvCache(C, C.contextLength()), cb = new KvCache(C, C.contextLength());
            InferenceState s = InferenceState.forBatches(C, C.contextLength(), 8);
            TokenBatch batch = new TokenBatch(8);
            batch.add(cb, b[0], 0, true);
            model.forward(s, batch);
            double[] expectedB0 = refB.step(b[0], 0);
            for (int i = 0; i < C.vocabSize(); i++) assertEquals(expectedB0[i], s.logits()[i], 1e-4);

            batch.clear();
            assertEquals(0, batch.add(cb, b[1], 1, true));
            for (int p = 0; p < a.length; p++) batch.add(ca, a[p], p, p == a.length - 1);
            model.forward(s, batch);
            double[] expectedB1 = refB.step(b[1], 1), expectedA = null;
            for (int p = 0; p < a.length; p++) expectedA = refA.step(a[p], p);
            assertEquals(2, batch.logitCount());
            for (int i = 0; i < C.vocabSize(); i++) {
                assertEquals(expectedB1[i], s.logits()[i], 1e-4, "b logit " + i);
                assertEquals(expectedA[i], s.logits()[C.vocabSize() + i], 1e-4, "a logit " + i);
            }
        }
    }

    @Test
    void refusesPositionsBeyondACacheAndAStateWithoutACacheForOneSequenceCalls() {
        KvCache cache = new KvCache(C, 4);
        TokenBatch batch = new TokenBatch(2);
        assertThrows(IllegalArgumentException.class, () -> batch.add(cache, 1, 4, true));
        batch.add(cache, 1, 3, true);
        batch.add(cache, 1, 2, true);
        assertThrows(IllegalStateException.class, () -> batch.add(cache, 1, 1, true));
        try (WorkerPool pool = new WorkerPool(1)) {
            LlamaModel model = new LlamaModel(C, SyntheticWeights.random(C, 5, false, false), pool);
            InferenceState s = InferenceState.forBatches(C, 8, 2);
            assertThrows(IllegalArgumentException.class, () -> model.forward(s, new int[] {1}, 0, 1, 0, false));
            assertThrows(IllegalArgumentException.class, () -> model.forward(InferenceState.forBatches(C, 2, 2), batch));
        }
    }
}
