package dev.lowbit.engine.format.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.Golden;
import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.format.gguf.ParityModels;
import dev.lowbit.engine.model.LayerWeights;
import dev.lowbit.engine.model.LlamaWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hugging Face folders of Gemma 2, Gemma 3 and Phi-3 hold the weights of the parity GGUFs ({@link ParityModels}, whose
 * logits match llama.cpp's) the way transformers stores them: norms as w − 1 and Gemma's four norms under their own
 * names, Phi-3's q/k/v and gate/up fused, the architecture's settings in config.json. Each must give the GGUF's logits.
 */
class HfArchitecturesTest {
    @TempDir Path dir;

    @Test
    void gemma2FolderRunsAsTheGguf() throws Exception {
        assertSameAsGguf("gemma2", """
            {"architectures": ["Gemma2ForCausalLM"], "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 4,
             "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "vocab_size": 512, "max_position_embeddings": 64,
             "rms_norm_eps": 1e-06, "rope_theta": 10000.0, "query_pre_attn_scalar": 16, "attn_logit_softcapping": 2.0,
             "final_logit_softcapping": 5.0, "sliding_window": 5, "hidden_activation": "gelu_pytorch_tanh",
             "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32"}""");
    }

    @Test
    void gemma3FolderRunsAsTheGguf() throws Exception {
        assertSameAsGguf("gemma3", """
            {"architectures": ["Gemma3ForCausalLM"], "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 6,
             "num_attention_heads": 4, "num_key_value_heads": 1, "head_dim": 16, "vocab_size": 512, "max_position_embeddings": 64,
             "rms_norm_eps": 1e-06, "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0,
             "rope_scaling": {"rope_type": "linear", "factor": 2.0}, "query_pre_attn_scalar": 16, "attn_logit_softcapping": null,
             "final_logit_softcapping": null, "sliding_window": 4, "sliding_window_pattern": 6, "tie_word_embeddings": false,
             "hidden_activation": "gelu_pytorch_tanh", "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32"}""");
    }

    @Test
    void phi3FolderRunsAsTheGguf() throws Exception {
        float[] f = ParityModels.phi3RopeFactors(false), l = ParityModels.phi3RopeFactors(true);
        assertSameAsGguf("phi3", """
            {"architectures": ["Phi3ForCausalLM"], "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 3,
             "num_attention_heads": 4, "num_key_value_heads": 4, "vocab_size": 512, "max_position_embeddings": 64,
             "original_max_position_embeddings": 4096, "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "partial_rotary_factor": 0.5,
             "rope_scaling": {"type": "longrope", "short_factor": [%s, %s, %s, %s], "long_factor": [%s, %s, %s, %s], "attention_factor": 1.19},
             "sliding_window": 2047, "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2, "torch_dtype": "float32"}"""
                .formatted(f[0], f[1], f[2], f[3], l[0], l[1], l[2], l[3]));
    }

    /** Mistral's config may set a window for every layer (v0.1: 4096) or none (null, later versions). */
    @Test
    void mistralSlidingWindowComesFromTheConfig() {
        String config = """
            {"architectures": ["MistralForCausalLM"], "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 3,
             "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 512, "max_position_embeddings": 8192,
             "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "sliding_window": %s}""";
        var windowed = HfConfig.parse(dev.lowbit.engine.json.JsonObject.of(dev.lowbit.engine.json.Json.parse(config.formatted("4096")), "config.json"));
        assertEquals(4096, windowed.config().traits().slidingWindow());
        for (int l = 0; l < 3; l++) assertTrue(windowed.config().traits().slides(l));
        var whole = HfConfig.parse(dev.lowbit.engine.json.JsonObject.of(dev.lowbit.engine.json.Json.parse(config.formatted("null")), "config.json"));
        assertTrue(whole.config().traits().isLlama());
    }

    private void assertSameAsGguf(String name, String config) throws Exception {
        Path gguf = dir.resolve(name + ".gguf"), folder = dir.resolve(name);
        Files.write(gguf, ParityModels.bytes(name));
        int[] prompt = ParityModels.PROMPT;
        try (LoadedModel g = ModelLoader.load(gguf, null, 1)) {
            HfFolderWriter.write(folder, config, hfNames(g.model().weights(), name), false, 1);
            try (LoadedModel hf = ModelLoader.load(folder, Golden.TOKENIZER, 1)) {
                // the long factors went through decimal text in config.json: equal to float precision
                var gt = g.model().config().traits();
                var ht = hf.model().config().traits();
                assertEquals(gt.withLongRope(null, 0), ht.withLongRope(null, 0));
                assertEquals(gt.ropeOriginalContext(), ht.ropeOriginalContext());
                if (gt.longRopeFrequencies() != null) assertArrayEquals(gt.longRopeFrequencies(), ht.longRopeFrequencies(), 1e-6 * gt.longRopeFrequencies()[0]);
                float[] expected = HfModelTest.logits(g.model(), prompt), got = HfModelTest.logits(hf.model(), prompt);
                double worst = 0;
                for (int i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(expected[i] - got[i]));
                // Gemma's norms go through w − 1 and back: the last bit may differ
                assertTrue(worst < 1e-4, name + ": logits differ by " + worst);
            }
        }
    }

    /** The weights under transformers' names: Gemma's norms minus one, Phi-3's projections fused (by {@code arch}). */
    static Map<String, float[][]> hfNames(LlamaWeights w, String arch) {
        boolean gemma = arch.startsWith("gemma"), fused = arch.equals("phi3");
        Map<String, float[][]> out = new LinkedHashMap<>();
        out.put("model.embed_tokens.weight", HfFolderWriter.rows(w.tokenEmbedding()));
        for (int l = 0; l < w.layers().size(); l++) {
            LayerWeights lw = w.layers().get(l);
            String p = "model.layers." + l + ".";
            out.put(p + "input_layernorm.weight", norm(lw.attnNorm(), gemma));
            if (fused) {
                out.put(p + "self_attn.qkv_proj.weight", concat(HfFolderWriter.rows(lw.wq()), HfFolderWriter.rows(lw.wk()), HfFolderWriter.rows(lw.wv())));
            } else {
                out.put(p + "self_attn.q_proj.weight", HfFolderWriter.rows(lw.wq()));
                out.put(p + "self_attn.k_proj.weight", HfFolderWriter.rows(lw.wk()));
                out.put(p + "self_attn.v_proj.weight", HfFolderWriter.rows(lw.wv()));
            }
            if (lw.qNorm() != null) {
                out.put(p + "self_attn.q_norm.weight", norm(lw.qNorm(), gemma));
                out.put(p + "self_attn.k_norm.weight", norm(lw.kNorm(), gemma));
            }
            out.put(p + "self_attn.o_proj.weight", HfFolderWriter.rows(lw.wo()));
            if (lw.postAttnNorm() != null) {
                out.put(p + "post_attention_layernorm.weight", norm(lw.postAttnNorm(), gemma));
                out.put(p + "pre_feedforward_layernorm.weight", norm(lw.ffnNorm(), gemma));
                out.put(p + "post_feedforward_layernorm.weight", norm(lw.postFfnNorm(), gemma));
            } else {
                out.put(p + "post_attention_layernorm.weight", norm(lw.ffnNorm(), gemma));
            }
            if (fused) {
                out.put(p + "mlp.gate_up_proj.weight", concat(HfFolderWriter.rows(lw.wGate()), HfFolderWriter.rows(lw.wUp())));
            } else {
                out.put(p + "mlp.gate_proj.weight", HfFolderWriter.rows(lw.wGate()));
                out.put(p + "mlp.up_proj.weight", HfFolderWriter.rows(lw.wUp()));
            }
            out.put(p + "mlp.down_proj.weight", HfFolderWriter.rows(lw.wDown()));
        }
        out.put("model.norm.weight", norm(w.finalNorm(), gemma));
        if (!w.tiedClassifier()) out.put("lm_head.weight", HfFolderWriter.rows(w.classifier()));
        return out;
    }

    private static float[][] norm(float[] v, boolean minusOne) {
        float[] out = v.clone();
        if (minusOne) for (int i = 0; i < out.length; i++) out[i] -= 1f;
        return new float[][] {out};
    }

    private static float[][] concat(float[][]... parts) {
        return java.util.Arrays.stream(parts).flatMap(java.util.Arrays::stream).toArray(float[][]::new);
    }
}
