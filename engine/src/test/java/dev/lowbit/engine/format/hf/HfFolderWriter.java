package dev.lowbit.engine.format.hf;

import dev.lowbit.engine.Golden;
import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.model.LayerWeights;
import dev.lowbit.kernels.WeightMatrix;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes stories260K as a Hugging Face folder, the way transformers' converter lays out a Llama checkpoint. */
public final class HfFolderWriter {
    record Tensor(String dtype, long[] shape, byte[] data) {}

    static String config(boolean tied) {
        return """
            {"architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 172, "num_hidden_layers": 5,
             "num_attention_heads": 8, "num_key_value_heads": 4, "vocab_size": 512, "max_position_embeddings": 512,
             "rms_norm_eps": 1e-05, "rope_theta": 10000.0, "tie_word_embeddings": %s, "bos_token_id": 1, "eos_token_id": 2,
             "torch_dtype": "float32"}""".formatted(tied);
    }

    /** The real weights under Hugging Face names; q and k rows permuted from llama2.c's adjacent pairs to rotate-half. */
    public static Map<String, float[][]> stories() {
        Map<String, float[][]> out = new LinkedHashMap<>();
        try (LoadedModel m = ModelLoader.load(Golden.MODEL, Golden.TOKENIZER, 1)) {
            var c = m.model().config();
            out.put("model.embed_tokens.weight", rows(m.model().weights().tokenEmbedding()));
            for (int l = 0; l < c.nLayers(); l++) {
                LayerWeights w = m.model().weights().layers().get(l);
                String p = "model.layers." + l + ".";
                out.put(p + "input_layernorm.weight", new float[][] {w.attnNorm()});
                out.put(p + "self_attn.q_proj.weight", toRotateHalf(rows(w.wq()), c.nHeads()));
                out.put(p + "self_attn.k_proj.weight", toRotateHalf(rows(w.wk()), c.nKvHeads()));
                out.put(p + "self_attn.v_proj.weight", rows(w.wv()));
                out.put(p + "self_attn.o_proj.weight", rows(w.wo()));
                out.put(p + "post_attention_layernorm.weight", new float[][] {w.ffnNorm()});
                out.put(p + "mlp.gate_proj.weight", rows(w.wGate()));
                out.put(p + "mlp.up_proj.weight", rows(w.wUp()));
                out.put(p + "mlp.down_proj.weight", rows(w.wDown()));
            }
            out.put("model.norm.weight", new float[][] {m.model().weights().finalNorm()});
        }
        return out;
    }

    /** transformers' permute: within each head, row 2i+j (pair i, element j) moves to j·(d/2) + i. */
    static float[][] toRotateHalf(float[][] w, int heads) {
        int d = w.length / heads;
        float[][] out = new float[w.length][];
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < d / 2; i++) {
                for (int j = 0; j < 2; j++) out[h * d + j * (d / 2) + i] = w[h * d + 2 * i + j];
            }
        }
        return out;
    }

    static float[][] rows(WeightMatrix m) {
        float[][] r = new float[m.rows()][m.cols()];
        for (int i = 0; i < r.length; i++) m.readRow(i, r[i], 0);
        return r;
    }

    static Tensor tensor(float[][] v, boolean bf16) {
        boolean vector = v.length == 1;
        long[] shape = vector ? new long[] {v[0].length} : new long[] {v.length, v[0].length};
        ByteBuffer b = ByteBuffer.allocate(v.length * v[0].length * (bf16 ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] row : v) {
            for (float x : row) {
                if (bf16) b.putShort((short) (Float.floatToIntBits(x) >>> 16)); // truncation: exact for the reference too
                else b.putFloat(x);
            }
        }
        return new Tensor(bf16 ? "BF16" : "F32", shape, b.array());
    }

    static byte[] safetensors(Map<String, Tensor> tensors) {
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        tensors.forEach((name, t) -> {
            header.append(",\"").append(name).append("\":{\"dtype\":\"").append(t.dtype()).append("\",\"shape\":")
                  .append(java.util.Arrays.toString(t.shape()).replace(" ", "")).append(",\"data_offsets\":[").append(data.size())
                  .append(',').append(data.size() + t.data().length).append("]}");
            data.writeBytes(t.data());
        });
        header.append('}');
        while ((header.length() + 8) % 8 != 0) header.append(' ');
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + data.size()).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(h.length).put(h).put(data.toByteArray());
        return out.array();
    }

    public static void write(Path dir, Map<String, float[][]> weights, boolean bf16, int shards) throws IOException {
        write(dir, config(true), weights, bf16, shards);
    }

    static void write(Path dir, String config, Map<String, float[][]> weights, boolean bf16, int shards) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), config);
        Map<String, Tensor> all = new LinkedHashMap<>();
        weights.forEach((k, v) -> all.put(k, tensor(v, bf16)));
        if (shards == 1) {
            Files.write(dir.resolve("model.safetensors"), safetensors(all));
            return;
        }
        StringBuilder index = new StringBuilder("{\"metadata\":{},\"weight_map\":{");
        int i = 0;
        Map<String, Tensor>[] parts = new Map[shards];
        for (int s = 0; s < shards; s++) parts[s] = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : all.entrySet()) {
            int s = i++ % shards;
            parts[s].put(e.getKey(), e.getValue());
            String file = "model-%05d-of-%05d.safetensors".formatted(s + 1, shards);
            index.append(i > 1 ? "," : "").append('"').append(e.getKey()).append("\":\"").append(file).append('"');
        }
        index.append("}}");
        Files.writeString(dir.resolve("model.safetensors.index.json"), index);
        for (int s = 0; s < shards; s++) Files.write(dir.resolve("model-%05d-of-%05d.safetensors".formatted(s + 1, shards)), safetensors(parts[s]));
    }
}
