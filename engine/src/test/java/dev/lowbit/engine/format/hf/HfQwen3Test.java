package dev.lowbit.engine.format.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowbit.engine.Golden;
import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.RopeStyle;
import dev.lowbit.engine.model.SyntheticWeights;
import dev.lowbit.engine.model.TestWeights;
import dev.lowbit.kernels.WorkerPool;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A {@code Qwen3ForCausalLM} folder (random weights, q/k norms, head_dim 16 with hidden_size / heads = 8) runs as its weights. */
class HfQwen3Test {
    @TempDir Path dir;

    @Test
    void qwen3FolderRunsAsItsWeights() throws Exception {
        LlamaConfig c = new LlamaConfig(64, 172, 3, 8, 4, 16, 512, 64, 1e-6f, 1000000f, RopeStyle.ROTATE_HALF);
        LlamaWeights w = TestWeights.withHeadNorms(SyntheticWeights.random(c, 41, false, true), c.headDim(), 42);
        String config = """
            {"architectures": ["Qwen3ForCausalLM"], "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 3,
             "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 16, "vocab_size": 512, "max_position_embeddings": 64,
             "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "tie_word_embeddings": true, "bos_token_id": 1, "eos_token_id": 2,
             "attention_bias": false, "torch_dtype": "float32"}""";
        HfFolderWriter.write(dir.resolve("qwen3"), config, HfArchitecturesTest.hfNames(w, "qwen3"), false, 2);
        int[] prompt = {1, 72, 300, 17, 5, 260, 44, 9, 400, 12};
        try (LoadedModel m = ModelLoader.load(dir.resolve("qwen3"), Golden.TOKENIZER, 1); WorkerPool pool = new WorkerPool(1)) {
            assertEquals(16, m.model().config().headDim());
            assertArrayEquals(HfModelTest.logits(new LlamaModel(c, w, pool), prompt), HfModelTest.logits(m.model(), prompt));
        }
    }

}
