package dev.lowbit.engine.format.hf;

import dev.lowbit.engine.json.JsonException;
import dev.lowbit.engine.json.JsonObject;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.ModelTraits;
import dev.lowbit.engine.model.Rope;
import dev.lowbit.engine.model.RopeStyle;
import java.util.List;

/**
 * A Hugging Face {@code config.json} for {@code LlamaForCausalLM}, {@code MistralForCausalLM} (with its
 * {@code sliding_window}), {@code Qwen2ForCausalLM}, {@code Qwen3ForCausalLM} (q/k norms; {@code head_dim} from the
 * config), {@code SmolLM3ForCausalLM} (no RoPE in every n-th layer), {@code GemmaForCausalLM},
 * {@code Gemma2ForCausalLM}, {@code Gemma3ForCausalLM} (text) or {@code Phi3ForCausalLM} (partial rotary, LongRoPE):
 * the hyper-parameters, RoPE frequencies (with {@code rope_scaling} of type {@code llama3}, {@code linear} or
 * {@code longrope} applied), the model's traits, tied embeddings and the BOS/EOS ids.
 */
public record HfConfig(String architecture, LlamaConfig config, boolean tiedEmbeddings, int bos,
                       List<Integer> eos) {
    public static final List<String> ARCHITECTURES = List.of("LlamaForCausalLM", "MistralForCausalLM", "Qwen2ForCausalLM", "Qwen3ForCausalLM",
            "SmolLM3ForCausalLM", "GemmaForCausalLM", "Gemma2ForCausalLM", "Gemma3ForCausalLM", "Phi3ForCausalLM");

    /** Gemma's files store each norm weight as w − 1 (the model multiplies by 1 + w). */
    public boolean normsOffsetByOne() {
        return architecture.startsWith("Gemma");
    }

    /** Gemma 2/3 name their four norms differently: {@code post_attention_layernorm} follows attention there. */
    public boolean sandwichNorms() {
        return architecture.equals("Gemma2ForCausalLM") || architecture.equals("Gemma3ForCausalLM");
    }

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
        double partial = c.has("partial_rotary_factor") ? c.number("partial_rotary_factor") : 1.0;
        int ropeDim = (int) (headDim * partial);
        if (!(partial > 0 && partial <= 1) || ropeDim < 2 || ropeDim % 2 != 0) throw new JsonException("partial_rotary_factor " + partial + " does not give an even rotary size");
        double[] freqs = Rope.standardFrequencies(ropeDim, theta);
        LongRope longRope = LongRope.NONE;
        Object scaling = c.map().get("rope_scaling");
        if (scaling != null) longRope = scaleRope(c.object("rope_scaling"), freqs, c);
        boolean gemma = arch.startsWith("Gemma");
        // Gemma ties its classifier unless the config says otherwise (the config class's default).
        boolean tied = c.has("tie_word_embeddings") ? c.bool("tie_word_embeddings") : gemma;
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
        try {
            ModelTraits t = traits(c, arch, config, ropeDim).withRopeMagnitude(longRope.magnitude());
            config = config.withTraits(longRope.frequencies() == null ? t : t.withLongRope(longRope.frequencies(), longRope.originalContext()));
        } catch (IllegalArgumentException e) {
            throw new JsonException("inconsistent hyper-parameters: " + e.getMessage());
        }
        return new HfConfig(arch, config, tied, bos, eos);
    }

    /** Where the architecture departs from the Llama block, from its config (transformers' modeling_gemma*, Mistral's window). */
    private static ModelTraits traits(JsonObject c, String arch, LlamaConfig config, int ropeDim) {
        ModelTraits t = ModelTraits.LLAMA;
        int layers = config.nLayers();
        switch (arch) {
            case "MistralForCausalLM" -> {
                int window = optionalInt(c, "sliding_window");
                if (window > 0) t = t.withSlidingWindow(window, ModelTraits.everyLayerBut(0, layers), null);
            }
            case "GemmaForCausalLM", "Gemma2ForCausalLM", "Gemma3ForCausalLM" -> {
                // HF rounds √d to the weights' dtype; llama.cpp (the reference here) multiplies by sqrtf(d)
                t = t.withActivation(ModelTraits.Activation.GELU_TANH).withEmbeddingScale((float) Math.sqrt(config.dim()));
                float queryScale = c.has("query_pre_attn_scalar") ? (float) (1 / Math.sqrt(c.number("query_pre_attn_scalar"))) : 0f;
                if (queryScale != (float) (1 / Math.sqrt(config.headDim()))) t = t.withQueryScale(queryScale); // else Llama's own
                t = t.withSoftcaps(optionalFloat(c, "attn_logit_softcapping"), optionalFloat(c, "final_logit_softcapping"));
                int window = optionalInt(c, "sliding_window");
                if (window > 0 && !arch.equals("GemmaForCausalLM")) {
                    int period = arch.equals("Gemma2ForCausalLM") ? 2 : c.has("sliding_window_pattern") ? c.integer("sliding_window_pattern", 1, 1 << 12) : 6;
                    boolean[] sliding = c.has("layer_types") ? layerTypes(c, layers) : ModelTraits.everyLayerBut(period, layers);
                    // Gemma 3's local layers rotate with their own base and no scaling
                    double[] local = c.has("rope_local_base_freq") ? Rope.standardFrequencies(ropeDim, c.number("rope_local_base_freq")) : null;
                    t = t.withSlidingWindow(window, sliding, local);
                }
            }
            default -> { }
        }
        return t;
    }

    /** {@code layer_types}: "sliding_attention" or "full_attention" per layer. */
    private static boolean[] layerTypes(JsonObject c, int layers) {
        List<Object> types = c.list("layer_types");
        if (types.size() != layers) throw new JsonException("layer_types has " + types.size() + " entries for " + layers + " layers");
        boolean[] sliding = new boolean[layers];
        for (int l = 0; l < layers; l++) {
            Object type = types.get(l);
            if (!"sliding_attention".equals(type) && !"full_attention".equals(type)) throw new JsonException("layer_types[" + l + "] is " + type);
            sliding[l] = "sliding_attention".equals(type);
        }
        return sliding;
    }

    /** An integer that may be absent or null (0 then). */
    private static int optionalInt(JsonObject c, String key) {
        return c.map().get(key) == null ? 0 : c.integer(key, 0, 1 << 24);
    }

    /** A number that may be absent or null (0 then). */
    private static float optionalFloat(JsonObject c, String key) {
        return c.map().get(key) == null ? 0f : (float) c.number(key);
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

    /** What LongRoPE adds to the frequencies: the factor on cos and sin, and the long factors' frequencies beyond a context. */
    record LongRope(float magnitude, double[] frequencies, int originalContext) {
        static final LongRope NONE = new LongRope(1f, null, 0);
    }

    /**
     * Applies {@code rope_scaling} to the frequencies. LongRoPE's short factors are applied; its long ones and attention
     * factor are returned (lowbit, as llama.cpp, takes the long ones for a context beyond the original one).
     */
    static LongRope scaleRope(JsonObject s, double[] freqs, JsonObject config) {
        String type = s.has("rope_type") ? s.string("rope_type") : s.has("type") ? s.string("type") : "";
        switch (type) {
            case "default" -> { return LongRope.NONE; }
            case "linear" -> {
                double factor = s.number("factor");
                if (!(factor > 0)) throw new JsonException("rope_scaling factor " + factor + " is not positive");
                for (int i = 0; i < freqs.length; i++) freqs[i] /= factor;
                return LongRope.NONE;
            }
            case "longrope", "su" -> {
                double[] longFreqs = freqs.clone();
                divide(freqs, s.doubles("short_factor"), "short_factor");
                divide(longFreqs, s.doubles("long_factor"), "long_factor");
                int original = config.has("original_max_position_embeddings") ? config.integer("original_max_position_embeddings", 1, 1 << 24)
                        : s.integer("original_max_position_embeddings", 1, 1 << 24);
                double scale = config.number("max_position_embeddings") / original;
                float magnitude = s.has("attention_factor") ? (float) s.number("attention_factor")
                        : scale <= 1 ? 1f : (float) Math.sqrt(1 + Math.log(scale) / Math.log(original));
                return new LongRope(magnitude, longFreqs, original);
            }
            case "llama3" -> { }
            default -> throw new JsonException("rope_scaling of type '" + type + "' is not supported (llama3, linear, longrope)");
        }
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
        return LongRope.NONE;
    }

    private static void divide(double[] freqs, double[] factors, String key) {
        if (factors.length != freqs.length) throw new JsonException(key + " has " + factors.length + " values, expected " + freqs.length);
        for (int i = 0; i < freqs.length; i++) {
            if (!(factors[i] > 0) || !Double.isFinite(factors[i])) throw new JsonException(key + "[" + i + "] = " + factors[i] + " is not positive");
            freqs[i] /= factors[i];
        }
    }
}
