package dev.lowbit.engine.model;

import dev.lowbit.kernels.WeightMatrix;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensors of a Llama model under canonical (GGUF-style) names, in file order: {@code token_embd},
 * {@code blk.N.attn_norm}, {@code blk.N.attn_q|k|v|output}, {@code blk.N.attn_q|k|v.bias}, {@code blk.N.ffn_norm},
 * {@code blk.N.ffn_gate|up|down}, {@code output_norm}, {@code output} (absent when tied to the embedding); optionally
 * {@code blk.N.attn_q_norm|attn_k_norm} (Qwen3, Gemma 3), {@code blk.N.post_attention_norm|post_ffw_norm} (Gemma) and
 * {@code blk.N.attn_sub_norm|ffn_sub_norm} (BitNet).
 */
public record NamedWeights(Map<String, WeightMatrix> matrices, Map<String, float[]> vectors) {

    public static NamedWeights of(LlamaWeights w) {
        Map<String, WeightMatrix> m = new LinkedHashMap<>();
        Map<String, float[]> v = new LinkedHashMap<>();
        m.put("token_embd", w.tokenEmbedding());
        for (int l = 0; l < w.layers().size(); l++) addLayer(l, w.layers().get(l), m, v);
        v.put("output_norm", w.finalNorm());
        if (!w.tiedClassifier()) m.put("output", w.classifier());
        return new NamedWeights(m, v);
    }

    /** The tensors of block {@code l} alone, under their canonical names. */
    public static NamedWeights ofLayer(int l, LayerWeights w) {
        Map<String, WeightMatrix> m = new LinkedHashMap<>();
        Map<String, float[]> v = new LinkedHashMap<>();
        addLayer(l, w, m, v);
        return new NamedWeights(m, v);
    }

    private static void addLayer(int l, LayerWeights lw, Map<String, WeightMatrix> m, Map<String, float[]> v) {
        String p = "blk." + l + ".";
        v.put(p + "attn_norm", lw.attnNorm());
        m.put(p + "attn_q", lw.wq());
        m.put(p + "attn_k", lw.wk());
        m.put(p + "attn_v", lw.wv());
        if (lw.qBias() != null) v.put(p + "attn_q.bias", lw.qBias());
        if (lw.kBias() != null) v.put(p + "attn_k.bias", lw.kBias());
        if (lw.vBias() != null) v.put(p + "attn_v.bias", lw.vBias());
        if (lw.qNorm() != null) v.put(p + "attn_q_norm", lw.qNorm());
        if (lw.kNorm() != null) v.put(p + "attn_k_norm", lw.kNorm());
        if (lw.attnSubNorm() != null) v.put(p + "attn_sub_norm", lw.attnSubNorm());
        m.put(p + "attn_output", lw.wo());
        if (lw.postAttnNorm() != null) v.put(p + "post_attention_norm", lw.postAttnNorm());
        v.put(p + "ffn_norm", lw.ffnNorm());
        m.put(p + "ffn_gate", lw.wGate());
        m.put(p + "ffn_up", lw.wUp());
        if (lw.ffnSubNorm() != null) v.put(p + "ffn_sub_norm", lw.ffnSubNorm());
        m.put(p + "ffn_down", lw.wDown());
        if (lw.postFfnNorm() != null) v.put(p + "post_ffw_norm", lw.postFfnNorm());
    }

    /** Rebuilds the model weights; a missing tensor is reported by name. */
    public LlamaWeights toWeights(int layers) {
        List<LayerWeights> list = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) list.add(layer(l));
        WeightMatrix embedding = matrix("token_embd");
        WeightMatrix classifier = matrices.containsKey("output") ? matrices.get("output") : embedding;
        return new LlamaWeights(embedding, list, vector("output_norm"), classifier);
    }

    /** Block {@code l} from its canonical names. */
    public LayerWeights layer(int l) {
        String p = "blk." + l + ".";
        return new LayerWeights(vector(p + "attn_norm"),
                matrix(p + "attn_q"), matrix(p + "attn_k"), matrix(p + "attn_v"), matrix(p + "attn_output"),
                vectors.get(p + "attn_q.bias"), vectors.get(p + "attn_k.bias"), vectors.get(p + "attn_v.bias"),
                vectors.get(p + "attn_q_norm"), vectors.get(p + "attn_k_norm"), vectors.get(p + "attn_sub_norm"),
                vectors.get(p + "post_attention_norm"), vector(p + "ffn_norm"), matrix(p + "ffn_gate"), matrix(p + "ffn_up"),
                matrix(p + "ffn_down"), vectors.get(p + "ffn_sub_norm"), vectors.get(p + "post_ffw_norm"));
    }

    private WeightMatrix matrix(String name) {
        WeightMatrix m = matrices.get(name);
        if (m == null) throw new IllegalArgumentException("tensor " + name + " is missing");
        return m;
    }

    private float[] vector(String name) {
        float[] v = vectors.get(name);
        if (v == null) throw new IllegalArgumentException("tensor " + name + " is missing");
        return v;
    }

    /** Every parameter: matrices and vectors. */
    public long parameters() {
        long n = 0;
        for (WeightMatrix m : matrices.values()) n += (long) m.rows() * m.cols();
        for (float[] v : vectors.values()) n += v.length;
        return n;
    }

    /** Bytes the weights take as stored (vectors as fp32). */
    public long bytes() {
        long n = 0;
        for (WeightMatrix m : matrices.values()) n += m.byteSize();
        for (float[] v : vectors.values()) n += 4L * v.length;
        return n;
    }

    /** Storage bits per weight over the linear layers: the embedding and classifier excluded. */
    public double linearBitsPerWeight() {
        long params = 0, bytes = 0;
        for (Map.Entry<String, WeightMatrix> e : matrices.entrySet()) {
            if (isEmbeddingOrClassifier(e.getKey())) continue;
            params += (long) e.getValue().rows() * e.getValue().cols();
            bytes += e.getValue().byteSize();
        }
        return 8.0 * bytes / params;
    }

    /** True for the token embedding and the classifier, which recipes treat apart from the linear layers. */
    public static boolean isEmbeddingOrClassifier(String name) {
        return name.equals("token_embd") || name.equals("output");
    }
}
