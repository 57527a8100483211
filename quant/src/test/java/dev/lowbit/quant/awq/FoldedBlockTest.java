package dev.lowbit.quant.awq;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LayerWeights;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.RopeStyle;
import dev.lowbit.engine.model.SyntheticWeights;
import dev.lowbit.kernels.WorkerPool;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Folding any positive scales into a block leaves the fp32 model's logits unchanged. */
class FoldedBlockTest {

    @ParameterizedTest(name = "kv heads {0}, q/k/v biases {1}")
    @CsvSource({"4, true", "2, false"})
    void foldingRandomScalesKeepsLogits(int kvHeads, boolean biases) {
        LlamaConfig c = new LlamaConfig(64, 160, 2, 4, kvHeads, 16, 300, 64, 1e-5f, 10000f, RopeStyle.ROTATE_HALF);
        try (WorkerPool pool = new WorkerPool(2)) {
            LlamaWeights w = SyntheticWeights.random(c, 7, biases, false, pool);
            SplittableRandom rnd = new SplittableRandom(11);
            List<LayerWeights> folded = new ArrayList<>();
            for (LayerWeights l : w.layers()) {
                float[] o = c.kvDim() == c.qDim() ? scales(c.qDim(), rnd) : null;
                folded.add(FoldedBlock.fold(l, scales(c.dim(), rnd), o, scales(c.dim(), rnd), scales(c.hiddenDim(), rnd)).toWeights());
            }
            LlamaWeights f = new LlamaWeights(w.tokenEmbedding(), folded, w.finalNorm(), w.classifier());
            float[] a = logits(new LlamaModel(c, w, pool)), b = logits(new LlamaModel(c, f, pool));
            float max = 0;
            for (float v : a) max = Math.max(max, Math.abs(v));
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4 * Math.max(1, max), "logit " + i);
        }
    }

    /** Scales over two orders of magnitude, as AWQ produces for outlier channels. */
    static float[] scales(int n, SplittableRandom rnd) {
        float[] s = new float[n];
        for (int i = 0; i < n; i++) s[i] = (float) Math.exp(rnd.nextDouble(-2.3, 2.3));
        return s;
    }

    static float[] logits(LlamaModel m) {
        int[] tokens = new int[40];
        for (int i = 0; i < tokens.length; i++) tokens[i] = (i * 37 + 5) % m.config().vocabSize();
        InferenceState s = m.newState(64, 64);
        m.forward(s, tokens, 0, tokens.length, 0, true);
        return java.util.Arrays.copyOf(s.logits(), tokens.length * m.config().vocabSize());
    }
}
