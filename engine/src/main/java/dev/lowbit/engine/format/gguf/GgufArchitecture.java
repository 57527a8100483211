package dev.lowbit.engine.format.gguf;

import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.ModelTraits;
import dev.lowbit.engine.model.ModelTraits.Activation;
import dev.lowbit.engine.model.Rope;
import dev.lowbit.engine.model.RopeStyle;
import java.util.List;

/**
 * What a GGUF architecture name means for lowbit's model, read as llama.cpp reads it ({@code src/models/<arch>.cpp},
 * {@code llama-model.cpp}): the RoPE convention and frequencies, layers without RoPE, and where the block departs from
 * Llama's ({@link ModelTraits}).
 */
final class GgufArchitecture {
    static final List<String> SUPPORTED = List.of("llama", "qwen2", "qwen3", "smollm3", "gemma", "gemma2", "gemma3", "phi3", "bitnet");

    private GgufArchitecture() {}

    /** llama.cpp's converter stores {@code llama} q/k rows for adjacent-pair rotation; the others rotate halves ("NEOX"). */
    static RopeStyle ropeStyle(String arch) {
        return arch.equals("llama") || arch.equals("smollm3") ? RopeStyle.ADJACENT_PAIRS : RopeStyle.ROTATE_HALF;
    }

    /**
     * The configuration with the architecture's RoPE and traits.
     *
     * @param divisors per-pair frequency divisors ({@code rope_freqs}: Llama 3.1; {@code rope_factors_short}: Phi-3's
     *                 LongRoPE), or null
     * @param divisorsName the tensor they come from, for errors
     * @param longDivisors Phi-3's {@code rope_factors_long}, or null
     */
    static LlamaConfig complete(GgufFile gguf, String arch, LlamaConfig c, float[] divisors, String divisorsName, float[] longDivisors) {
        int ropeDim = gguf.integer(arch + ".rope.dimension_count", 2, c.headDim(), c.headDim());
        if (ropeDim % 2 != 0) throw gguf.file().error(arch + ".rope.dimension_count = " + ropeDim + " is odd");
        float scale = linearScale(gguf, arch);
        double[] freqs = frequencies(ropeDim, c.ropeTheta(), scale);
        if (divisors != null) divide(gguf, freqs, divisors, divisorsName);
        ModelTraits t = ModelTraits.LLAMA.withRopeMagnitude(gguf.number(arch + ".rope.scaling.attn_factor", 1f));
        if (longDivisors != null) {
            double[] longFreqs = frequencies(ropeDim, c.ropeTheta(), scale);
            divide(gguf, longFreqs, longDivisors, "rope_factors_long.weight");
            // llama.cpp: the long factors once its context exceeds the original one (n_ctx_orig_yarn, default n_ctx_train)
            t = t.withLongRope(longFreqs, gguf.integer(arch + ".rope.scaling.original_context_length", 1, 1 << 24, c.contextLength()));
        }
        LlamaConfig out = c.withRopeFrequencies(freqs);
        switch (arch) {
            case "smollm3" -> out = out.withNoRopeEvery(4); // llama.cpp: n_no_rope_layer_step = 4
            case "gemma" -> t = gemma(t, c);
            case "gemma2" -> {
                // llama.cpp: a window of 4096 on every other layer unless the file says; sliding layers keep the model's RoPE
                int window = gguf.integer(arch + ".attention.sliding_window", 0, 1 << 24, 4096);
                float swaBase = gguf.number(arch + ".rope.freq_base_swa", c.ropeTheta());
                t = gemma(t, c).withQueryScale(queryScale(c, 46))
                        .withSoftcaps(gguf.number(arch + ".attn_logit_softcapping", 50f), gguf.number(arch + ".final_logit_softcapping", 30f))
                        .withSlidingWindow(window, slidingLayers(gguf, arch, 2, c.nLayers()), unlessSame(frequencies(ropeDim, swaBase, scale), freqs));
            }
            case "gemma3" -> {
                // llama.cpp: sliding only when the file names a window; five local layers to one global by default,
                // local ones with RoPE base 10000 (or freq_base_swa) and no linear scaling
                int window = gguf.integer(arch + ".attention.sliding_window", 0, 1 << 24, 0);
                float swaBase = gguf.number(arch + ".rope.freq_base_swa", 10000f);
                t = gemma(t, c).withQueryScale(queryScale(c, 62)).withSoftcaps(0f, gguf.number(arch + ".final_logit_softcapping", 0f))
                        .withSlidingWindow(window, slidingLayers(gguf, arch, 6, c.nLayers()), unlessSame(frequencies(ropeDim, swaBase, 1f), freqs));
            }
            default -> { }
        }
        return out.withTraits(t);
    }

    /** Each frequency divided by its pair's factor, after checking the factors (count, positive, finite). */
    private static void divide(GgufFile gguf, double[] freqs, float[] divisors, String name) {
        if (divisors.length != freqs.length) throw gguf.file().error(name + " has " + divisors.length + " values, expected " + freqs.length);
        for (int i = 0; i < freqs.length; i++) {
            if (!(divisors[i] > 0) || !Float.isFinite(divisors[i])) throw gguf.file().error(name + "[" + i + "] = " + divisors[i] + " is not a positive number");
            freqs[i] /= divisors[i];
        }
    }

    /** Gemma's common departures: embedding × √d (llama.cpp's {@code sqrtf(n_embd)}), tanh-GELU. */
    private static ModelTraits gemma(ModelTraits t, LlamaConfig c) {
        return t.withActivation(Activation.GELU_TANH).withEmbeddingScale((float) Math.sqrt(c.dim()));
    }

    /**
     * Gemma's query scale as llama.cpp derives it (no GGUF key holds query_pre_attn_scalar): 1/√(dim/heads) for the 27B
     * models (recognised by their layer count), else the default 1/√headDim.
     */
    private static float queryScale(LlamaConfig c, int layersOf27b) {
        return c.nLayers() == layersOf27b ? (float) (1 / Math.sqrt((double) (c.dim() / c.nHeads()))) : 0f;
    }

    /** {@code sliding_window_pattern}: a period (every period-th layer is global) or a flag per layer. */
    private static boolean[] slidingLayers(GgufFile gguf, String arch, int defaultPeriod, int layers) {
        String key = arch + ".attention.sliding_window_pattern";
        Object v = gguf.get(key, Object.class, null);
        if (v instanceof boolean[] flags) {
            if (flags.length != layers) throw gguf.file().error(key + " has " + flags.length + " flags for " + layers + " layers");
            return flags;
        }
        return ModelTraits.everyLayerBut(gguf.integer(key, 0, 1 << 12, defaultPeriod), layers);
    }

    /** The sliding layers' own frequencies, or null when they are the model's (one RoPE table then). */
    private static double[] unlessSame(double[] sliding, double[] global) {
        return java.util.Arrays.equals(sliding, global) ? null : sliding;
    }

    /** base^(−2i/ropeDim) × scale for each rotated pair. */
    private static double[] frequencies(int ropeDim, float base, float scale) {
        double[] f = Rope.standardFrequencies(ropeDim, base);
        if (scale != 1f) for (int i = 0; i < f.length; i++) f[i] *= scale;
        return f;
    }

    /**
     * llama.cpp's {@code freq_scale}: 1 / {@code rope.scaling.factor} for linear scaling (the default type, and
     * LongRoPE's, whose factors come as tensors); YaRN changes every frequency differently and is refused.
     */
    private static float linearScale(GgufFile gguf, String arch) {
        String type = gguf.get(arch + ".rope.scaling.type", String.class, "linear");
        float factor = gguf.number(arch + ".rope.scaling.factor", gguf.number(arch + ".rope.scale_linear", 0f));
        if (!(factor >= 0) || !Float.isFinite(factor)) throw gguf.file().error(arch + ".rope.scaling.factor = " + factor + " is not a positive number");
        return switch (type) {
            case "none" -> 1f;
            case "linear", "longrope" -> factor == 0f ? 1f : 1f / factor;
            default -> {
                if (factor == 0f || factor == 1f) yield 1f;
                throw gguf.file().error("RoPE scaling '" + type + "' (factor " + factor + ") is not supported (linear, longrope)");
            }
        };
    }
}
