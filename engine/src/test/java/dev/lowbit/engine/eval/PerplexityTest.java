package dev.lowbit.engine.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.RopeStyle;
import dev.lowbit.engine.model.SyntheticWeights;
import dev.lowbit.kernels.WorkerPool;
import org.junit.jupiter.api.Test;

class PerplexityTest {
    @Test
    void negativeLogLikelihoodByHand() {
        // Uniform over 4: −log(1/4).
        assertEquals(Math.log(4), Perplexity.negativeLogLikelihood(new float[] {2, 2, 2, 2}, 0, 4, 1), 1e-12);
        // logits (0, ln 3): p(1) = 3/4.
        float[] l = {7, 0, (float) Math.log(3)};
        assertEquals(-Math.log(0.75), Perplexity.negativeLogLikelihood(l, 1, 2, 1), 1e-7);
        // Large logits do not overflow.
        assertEquals(Math.log(2), Perplexity.negativeLogLikelihood(new float[] {1000, 1000}, 0, 2, 0), 1e-9);
    }

    @Test
    void windowsSplitTheTextWithoutOverlap() {
        LlamaConfig c = new LlamaConfig(16, 24, 1, 2, 1, 8, 20, 8, 1e-5f, 10000f, RopeStyle.ROTATE_HALF);
        try (WorkerPool pool = new WorkerPool(1)) {
            LlamaModel m = new LlamaModel(c, SyntheticWeights.random(c, 3, false, true), pool);
            int[] text = new int[10];
            for (int i = 0; i < text.length; i++) text[i] = 3 + i;
            // ctx 4 with BOS: windows [B t0 t1 t2] [B t3 t4 t5] [B t6 t7 t8] [B t9]: 3 + 3 + 3 + 1 predictions.
            PerplexityResult r = Perplexity.evaluate(m, text, 4, 1, 2, Progress.NONE);
            assertEquals(4, r.windows());
            assertEquals(10, r.predictions());
            // Without BOS: [t0..t3] [t4..t7] [t8 t9]: 3 + 3 + 1.
            r = Perplexity.evaluate(m, text, 4, -1, 3, Progress.NONE);
            assertEquals(3, r.windows());
            assertEquals(7, r.predictions());
        }
    }
}
