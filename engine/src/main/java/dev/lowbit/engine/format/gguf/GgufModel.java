package dev.lowbit.engine.format.gguf;

import dev.lowbit.engine.model.FusedRows;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.engine.tokenizer.Tokenizer;
import dev.lowbit.kernels.Bf16Matrix;
import dev.lowbit.kernels.F16Matrix;
import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.WeightMatrix;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Llama-family model from a GGUF file: architectures {@code llama} (Llama, Mistral, TinyLlama, …),
 * {@code qwen2} (q/k/v biases), {@code qwen3} (per-head q/k norms), {@code smollm3} (no RoPE in every fourth layer),
 * {@code gemma}, {@code gemma2}, {@code gemma3} and {@code phi3} (fused q/k/v and gate/up, split here by rows;
 * LongRoPE) and {@code bitnet} (BitNet b1.58: sub-norms before o and down; ternary weights, usually TQ1_0/TQ2_0, with
 * the scale inside the blocks). Hyper-parameters come from {@code <arch>.*} metadata ({@link GgufArchitecture}), weights stay in the
 * mapped file. Per-pair RoPE divisors arrive as tensors: {@code rope_freqs} (Llama 3.1) or {@code rope_factors_short}
 * with {@code rope_factors_long} (Phi-3's LongRoPE: the long ones for sequences longer than the original context, as
 * llama.cpp picks them by its context size).
 */
public record GgufModel(LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer, String chatTemplate) {

    public static GgufModel read(GgufFile gguf) {
        String arch = gguf.require("general.architecture", String.class);
        if (!GgufArchitecture.SUPPORTED.contains(arch)) {
            throw gguf.file().error("architecture '" + arch + "' is not supported (" + String.join(", ", GgufArchitecture.SUPPORTED) + ")");
        }
        if (gguf.tensors().isEmpty()) throw gguf.file().error("has no tensors (a vocabulary-only GGUF file)");
        GgufTensorInfo embedding = tensor(gguf, "token_embd.weight");
        if (embedding.shape().length != 2) throw gguf.file().error("token_embd.weight must be a matrix");
        int dim = gguf.integer(arch + ".embedding_length", 1, 1 << 16, null);
        int heads = gguf.integer(arch + ".attention.head_count", 1, 1 << 12, null);
        int kvHeads = gguf.integer(arch + ".attention.head_count_kv", 1, heads, heads);
        int headDim = gguf.integer(arch + ".attention.key_length", 2, 1 << 12, dim / heads);
        int vocab = (int) embedding.shape()[1];
        LlamaConfig config;
        try {
            config = new LlamaConfig(dim, gguf.integer(arch + ".feed_forward_length", 1, 1 << 20, null),
                    gguf.integer(arch + ".block_count", 1, 1 << 12, null), heads, kvHeads, headDim, vocab,
                    gguf.integer(arch + ".context_length", 1, 1 << 24, null),
                    gguf.number(arch + ".attention.layer_norm_rms_epsilon", 1e-5f), gguf.number(arch + ".rope.freq_base", 10000f),
                    GgufArchitecture.ropeStyle(arch));
            GgufTensorInfo divisors = gguf.tensors().getOrDefault("rope_freqs.weight", gguf.tensors().get("rope_factors_short.weight"));
            GgufTensorInfo longFactors = gguf.tensors().get("rope_factors_long.weight");
            config = GgufArchitecture.complete(gguf, arch, config, divisors == null ? null : floats(gguf, divisors), divisors == null ? null : divisors.name(),
                    longFactors == null ? null : floats(gguf, longFactors));
        } catch (IllegalArgumentException e) {
            throw gguf.file().error("inconsistent hyper-parameters: " + e.getMessage());
        }

        Map<String, WeightMatrix> matrices = new LinkedHashMap<>();
        Map<String, float[]> vectors = new LinkedHashMap<>();
        List<GgufTensorInfo> matrixTensors = new ArrayList<>();
        for (GgufTensorInfo t : gguf.tensors().values()) {
            String name = canonical(t);
            if (ROPE_TENSORS.contains(name)) continue;
            if (name.endsWith(".scale")) throw gguf.file().error("tensor '" + t.name() + "': per-tensor scales (older BitNet conversions) are not supported");
            if (!t.type().readable) throw gguf.file().error("tensor '" + t.name() + "' has type " + t.type() + ", which lowbit cannot read yet");
            if (t.shape().length == 1) vectors.put(name, floats(gguf, t));
            else if (t.shape().length == 2) matrixTensors.addAll(unfused(gguf, t, config));
            else throw gguf.file().error("tensor '" + t.name() + "' has " + t.shape().length + " dimensions");
        }
        // Repacking Q4_0/Q8_0 into lowbit's layouts is per tensor: spread over the cores (7 s → 4 s for a 1B model on 2).
        List<WeightMatrix> built = matrixTensors.parallelStream().map(t -> matrix(gguf, t)).toList();
        for (int i = 0; i < built.size(); i++) matrices.put(canonical(matrixTensors.get(i)), built.get(i));
        LlamaWeights weights;
        try {
            weights = new NamedWeights(matrices, vectors).toWeights(config.nLayers());
            weights.validate(config);
        } catch (IllegalArgumentException e) {
            throw gguf.file().error(e.getMessage());
        }
        return new GgufModel(config, weights, GgufTokenizer.from(gguf), gguf.get("tokenizer.chat_template", String.class, null));
    }

    /** RoPE tensors read into the configuration, not weights. */
    private static final java.util.Set<String> ROPE_TENSORS = java.util.Set.of("rope_freqs", "rope_factors_short", "rope_factors_long");

    /**
     * Phi-3's fused matrices as the separate ones lowbit runs: {@code attn_qkv} → q, k, v rows; {@code ffn_up} of
     * 2 × hidden rows → gate (first half, the one activated) and up. Any other tensor as it is.
     */
    private static List<GgufTensorInfo> unfused(GgufFile gguf, GgufTensorInfo t, LlamaConfig c) {
        String name = canonical(t);
        List<FusedRows> parts;
        try {
            if (name.endsWith(".attn_qkv")) {
                parts = FusedRows.qkv(name.substring(0, name.length() - "attn_qkv".length()), c, t.shape()[1]);
            } else if (name.endsWith(".ffn_up") && t.shape()[1] == 2L * c.hiddenDim()) {
                String p = name.substring(0, name.length() - "ffn_up".length());
                if (gguf.tensors().containsKey(p + "ffn_gate.weight")) throw gguf.file().error("tensor '" + t.name() + "' is twice the MLP width beside a gate");
                parts = FusedRows.gateUp(p, c, t.shape()[1]);
            } else {
                return List.of(t);
            }
            return parts.stream().map(r -> t.rows(r.name() + ".weight", r.from(), r.count())).toList();
        } catch (IllegalArgumentException e) {
            throw gguf.file().error("tensor '" + t.name() + "' " + e.getMessage());
        }
    }

    /** The GGUF tensor name without ".weight": lowbit's canonical names (NamedWeights). */
    private static String canonical(GgufTensorInfo t) {
        return t.name().endsWith(".weight") ? t.name().substring(0, t.name().length() - ".weight".length()) : t.name();
    }

    private static GgufTensorInfo tensor(GgufFile gguf, String name) {
        GgufTensorInfo t = gguf.tensors().get(name);
        if (t == null) throw gguf.file().error("tensor " + name + " is missing");
        return t;
    }

    /**
     * F32, F16 and BF16 matrices are used in place; Q4_0, Q4_1 and Q8_0 are copied bit for bit into the table-lookup or int8 layout
     * ({@link GgmlRepack}); other types dequantize row by row as they run.
     */
    private static WeightMatrix matrix(GgufFile gguf, GgufTensorInfo t) {
        int cols = (int) t.shape()[0], rows = (int) t.shape()[1];
        var data = gguf.file().slice(t.offset(), t.bytes(), t.name());
        if (t.type() == GgmlType.F32) return new F32Matrix(data, rows, cols);
        if (t.type() == GgmlType.F16) return new F16Matrix(data, rows, cols);
        if (t.type() == GgmlType.BF16) return new Bf16Matrix(data, rows, cols);
        WeightMatrix fast = GgmlRepack.fast(t.type(), data, rows, cols);
        return fast != null ? fast : new GgmlMatrix(t.type(), data, rows, cols);
    }

    private static float[] floats(GgufFile gguf, GgufTensorInfo t) {
        if (t.elements() > 1 << 24) throw gguf.file().error("vector '" + t.name() + "' is implausibly long");
        if (!t.type().readable) throw gguf.file().error("tensor '" + t.name() + "' has type " + t.type() + ", which lowbit cannot read yet");
        return GgmlMatrix.floats(t.type(), gguf.file().slice(t.offset(), t.bytes(), t.name()), (int) t.elements());
    }
}
