package dev.lowbit.engine.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.RopeStyle;
import dev.lowbit.engine.model.SyntheticWeights;
import dev.lowbit.kernels.WorkerPool;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Llama2cCheckpointTest {
    @TempDir Path dir;

    @Test
    void separateAndTiedClassifiersRoundTripThroughTheFile() throws Exception {
        for (boolean tied : new boolean[] {false, true}) {
            LlamaConfig c = new LlamaConfig(24, 40, 3, 4, 2, 6, 37, 16, 1e-5f, 10000f, RopeStyle.ADJACENT_PAIRS);
            LlamaWeights w = SyntheticWeights.random(c, 21, false, tied);
            Path file = dir.resolve("m" + tied + ".bin");
            Llama2cWriter.write(file, c, w);
            assertEquals(Llama2cCheckpoint.expectedSize(c, tied), Files.size(file));
            try (MappedFile mf = MappedFile.open(file); WorkerPool pool = new WorkerPool(1)) {
                Llama2cCheckpoint.Header h = Llama2cCheckpoint.readHeader(mf);
                assertEquals(c, h.config());
                assertEquals(tied, h.sharedClassifier());
                LlamaWeights loaded = Llama2cCheckpoint.readWeights(mf, h);
                assertEquals(tied, loaded.tiedClassifier());
                int[] tokens = {3, 30, 7, 0, 36};
                // Same weights, same code; only the last bit may differ, because the Vector API's float lane
                // reduction has no fixed order and interpreted and compiled code may sum differently.
                assertArrayEquals(logits(new LlamaModel(c, w, pool), tokens), logits(new LlamaModel(c, loaded, pool), tokens), 1e-5f);
                if (!tied) assertFalse(loaded.classifier() == loaded.tokenEmbedding());
                else assertTrue(loaded.classifier() == loaded.tokenEmbedding());
            }
        }
    }

    private static float[] logits(LlamaModel m, int[] tokens) {
        InferenceState s = m.newState(8, 8);
        m.forward(s, tokens, 0, tokens.length, 0, true);
        return java.util.Arrays.copyOf(s.logits(), tokens.length * m.config().vocabSize());
    }
}
