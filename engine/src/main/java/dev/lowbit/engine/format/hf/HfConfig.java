package dev.lowbit.engine.format.hf;

import dev.lowbit.engine.json.JsonException;
import dev.lowbit.engine.json.JsonObject;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.Rope;
import dev.lowbit.engine.model.RopeStyle;
import java.util.List;

/**
 * A Hugging Face {@code config.json} for {@code LlamaForCausalLM}, {@code MistralForCausalLM},
 * {@code Qwen2ForCausalLM}, {@code Qwen3ForCausalLM} (q/k norms; {@code head_dim} from the config) or
 * {@code SmolLM3ForCausalLM} (no RoPE in every n-th layer): the hyper-parameters, RoPE frequencies (with {@code rope_scaling} of type
 * {@code llama3} applied), tied embeddings and the BOS/EOS ids.
 */
public record HfConfig(String architecture, LlamaConfig config, boolean tiedEmbeddings, int bos,
                       List<Integer> eos) {
    public static final List<String> ARCHITECTURES = List.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM",
            "SmolLM3ForCausalLM");

    public static HfConfig parse(JsonObject c) {
        List<Object> archs = c.has("architectures") ? c.list("architectures") : List.of();
        String arch = archs.isEmpty() ? "" : String.valueOf(archs.getFirst());
        if (!ARCHITECTURES.contains(arch)) {
            throw new JsonException("architecture '" + arch + "' is not supported (" + String.join(", ", ARCHITECTURES) + ")");
        }
        int dim = c.integer("hidden_size", 1, 1 << 16);
        int heads = c.integer("num_attention_heads", 1, 1 << 12);
        int kvHeads = c.has("num_key_value_heads") ? c.integer("num_key_value_heads", 1, heads) : heads;
        int headDim = c.has("head_dim") ? c.integer("head_dim", 2, 1 << 12) : dim / heads;
        float theta = c.has("rope_theta") ? (float) c.number("rope_theta") : 10000f;
        LlamaConfig config;
        try {
            config = new LlamaConfig(dim, c.integer("intermediate_size", 1, 1 << 20), c.integer("num_hidden_layers", 1, 1 << 12), heads,
                    kvHeads, headDim, c.integer("vocab_size", 1, 1 << 24), c.integer("max_position_embeddings", 1, 1 << 24),
                    c.has("rms_norm_eps") ? (float) c.number("rms_norm_eps") : 1e-6f, theta, RopeStyle.ROTATE_HALF);
        } catch (IllegalArgumentException e) {
            throw new JsonException("inconsistent hyper-parameters: " + e.getMessage());
        }
        double[] freqs = Rope.standardFrequencies(headDim, theta);
        if (c.has("rope_scaling")) scaleRope(c.object("rope_scaling"), freqs);
        boolean tied = c.has("tie_word_embeddings") && c.bool("tie_word_embeddings");
        int bos = c.has("bos_token_id") ? c.integer("bos_token_id", 0, Integer.MAX_VALUE) : -1;
        List<Integer> eos = List.of();
        if (c.has("eos_token_id")) {
            Object e = c.map().get("eos_token_id");
            eos = e instanceof List<?> l ? l.stream().map(x -> ((Number) x).intValue()).toList() : List.of(((Number) e).intValue());
        }
        try {
            config = config.withRopeFrequencies(freqs);
        } catch (IllegalArgumentException e) {
            throw new JsonException("rope_scaling: " + e.getMessage());
        }
        if (arch.equals("SmolLM3ForCausalLM")) config = config.withNoRopeEvery(noRopeEvery(c, config.nLayers()));
        return new HfConfig(arch, config, tied, bos, eos);
    }

    /**
     * Llama 3.1's frequency-dependent scaling: long wavelengths are divided by {@code factor}, short ones kept, the
     * band between interpolated smoothly.
     */
    /**
     * SmolLM3's layers without RoPE: {@code no_rope_layers} (1 = RoPE, per layer), which lowbit takes when it is
     * every n-th layer ({@code no_rope_layer_interval}, 4 by default), as SmolLM3 ships it.
     */
    static int noRopeEvery(JsonObject c, int layers) {
        int n = c.has("no_rope_layer_interval") ? c.integer("no_rope_layer_interval", 1, 1 << 10) : 4;
        if (c.has("no_rope_layers")) {
            long[] flags = c.longs("no_rope_layers");
            if (flags.length != layers) throw new JsonException("no_rope_layers has " + flags.length + " entries for " + layers + " layers");
            for (int l = 0; l < layers; l++) {
                if ((flags[l] != 0) != ((l + 1) % n != 0)) {
                    throw new JsonException("no_rope_layers is not every " + n + "-th layer without RoPE, the only pattern lowbit runs");
                }
            }
        }
        return n;
    }

    static void scaleRope(JsonObject s, double[] freqs) {
        String type = s.has("rope_type") ? s.string("rope_type") : s.has("type") ? s.string("type") : "";
        if (type.equals("default")) return;
        if (!type.equals("llama3")) throw new JsonException("rope_scaling of type '" + type + "' is not supported (llama3)");
        double factor = s.number("factor"), low = s.number("low_freq_factor"), high = s.number("high_freq_factor");
        double oldContext = s.number("original_max_position_embeddings");
        double lowWavelen = oldContext / low, highWavelen = oldContext / high;
        for (int i = 0; i < freqs.length; i++) {
            double wavelen = 2 * Math.PI / freqs[i];
            if (wavelen < highWavelen) continue;
            if (wavelen > lowWavelen) {
                freqs[i] /= factor;
            } else {
                double smooth = (oldContext / wavelen - low) / (high - low);
                freqs[i] = (1 - smooth) * freqs[i] / factor + smooth * freqs[i];
            }
        }
    }
}
