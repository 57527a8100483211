package dev.lowbit.engine.format.gguf;

import dev.lowbit.engine.model.LayerWeights;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.engine.model.RopeStyle;
import dev.lowbit.engine.model.SyntheticWeights;
import dev.lowbit.engine.model.TestWeights;
import dev.lowbit.kernels.WeightMatrix;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Small GGUF files of the architectures whose blocks depart from Llama's, written from fixed seeds with the stories
 * vocabulary, and the real stories260K model as GGUF, so that llama.cpp can run them ({@code bench/llamacpp/parity.sh} records its logits in
 * {@code src/test/resources/llamacpp-parity/}) and {@link LlamaCppParityTest} can compare lowbit with it. Each one sets
 * the keys that matter to non-default values: soft-caps small enough to bite, windows shorter than the prompt,
 * a linear RoPE scale, partial rotary, LongRoPE factors and magnitude.
 *
 * <p>{@code main(DIR)} writes them all to DIR.
 */
public final class ParityModels {
    /** The prompt both sides run on the random-weight files, then {@link #generated} greedy tokens. */
    public static final int[] PROMPT = {1, 403, 261, 378, 286, 407, 261, 411, 269, 322, 285, 396, 344, 261};
    /** The real model's prompt, as its tokenizer (and llama.cpp's, LlamaCppVocabTest) encodes it with BOS. */
    static final String STORIES_PROMPT = "Once upon a time, there was a little girl named Lily. One day";
    static final List<String> NAMES = List.of("gemma", "gemma2", "gemma3", "phi3", "phi3-long", "llama-linear-rope", "bitnet", "stories260K");

    private ParityModels() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        Files.createDirectories(dir);
        for (String name : NAMES) {
            Files.write(dir.resolve(name + ".gguf"), write(name).bytes());
            // for parity.sh: how many tokens to generate, then the prompt's ids
            StringBuilder line = new StringBuilder().append(generated(name));
            for (int t : prompt(name)) line.append(' ').append(t);
            Files.writeString(dir.resolve(name + ".prompt"), line + "\n");
        }
    }

    /** The prompt of file {@code name}. */
    public static int[] prompt(String name) {
        if (!name.equals("stories260K")) return PROMPT.clone();
        return dev.lowbit.engine.tokenizer.Llama2cTokenizerFile.read(dev.lowbit.engine.Golden.TOKENIZER).encode(STORIES_PROMPT, true, false);
    }

    /** Greedy tokens after the prompt: a long stretch of text for the real model, 8 for the random ones. */
    static int generated(String name) {
        return name.equals("stories260K") ? 40 : 8;
    }

    /** The GGUF file {@code name}, as bytes. */
    public static byte[] bytes(String name) {
        return write(name).bytes();
    }

    static GgufWriter write(String name) {
        return switch (name) {
            case "gemma" -> gemma();
            case "gemma2" -> gemma2();
            case "gemma3" -> gemma3();
            case "phi3" -> phi3(4096);
            case "phi3-long" -> phi3(32); // llama.cpp (context ≥ 256) and lowbit (64) then take the long factors
            case "llama-linear-rope" -> llamaLinearRope();
            case "bitnet" -> bitnet();
            case "stories260K" -> GgufModelTest.stories(t -> false, new java.util.HashMap<>()); // the real pretrained model, F32
            default -> throw new IllegalArgumentException(name);
        };
    }

    /** Gemma (1): embedding × √d and GELU on Llama's block, one KV head, tied classifier. */
    private static GgufWriter gemma() {
        LlamaConfig c = new LlamaConfig(64, 128, 2, 4, 1, 16, 512, 64, 1e-6f, 10000f, RopeStyle.ROTATE_HALF);
        LlamaWeights w = SyntheticWeights.random(c, 151, false, true);
        return header("gemma", c).put("gemma.rope.dimension_count", 16).apply(g -> tensors(g, w, false));
    }

    /** Gemma 2: a window of 5 on even layers, attention soft-cap 2, final soft-cap 5, post-norms, tied classifier. */
    private static GgufWriter gemma2() {
        LlamaConfig c = new LlamaConfig(64, 128, 4, 4, 2, 16, 512, 64, 1e-6f, 10000f, RopeStyle.ROTATE_HALF);
        LlamaWeights w = TestWeights.withPostNorms(SyntheticWeights.random(c, 101, false, true), c.dim(), 102);
        return header("gemma2", c).put("gemma2.attention.sliding_window", 5).put("gemma2.attn_logit_softcapping", 2f)
                .put("gemma2.final_logit_softcapping", 5f).put("gemma2.rope.dimension_count", 16)
                .apply(g -> tensors(g, w, false));
    }

    /** Gemma 3: q/k norms, a window of 4 on five layers of six, local RoPE base 10000, global 1e6 scaled linearly by 1/2; its own classifier. */
    private static GgufWriter gemma3() {
        LlamaConfig c = new LlamaConfig(64, 128, 6, 4, 1, 16, 512, 64, 1e-6f, 1000000f, RopeStyle.ROTATE_HALF);
        LlamaWeights w = TestWeights.withPostNorms(TestWeights.withHeadNorms(SyntheticWeights.random(c, 111, false, false), 16, 112), c.dim(), 113);
        return header("gemma3", c).put("gemma3.attention.sliding_window", 4).put("gemma3.rope.freq_base_swa", 10000f)
                .put("gemma3.rope.scaling.type", "linear").put("gemma3.rope.scaling.factor", 2f)
                .apply(g -> tensors(g, w, false));
    }

    /**
     * Phi-3.5-style: fused q/k/v and gate/up, half of each head rotated, LongRoPE short/long factors and magnitude 1.19;
     * the long factors apply beyond {@code originalContext}.
     */
    private static GgufWriter phi3(int originalContext) {
        LlamaConfig c = new LlamaConfig(64, 128, 3, 4, 4, 16, 512, 64, 1e-5f, 10000f, RopeStyle.ROTATE_HALF);
        LlamaWeights w = SyntheticWeights.random(c, 121, false, false);
        return header("phi3", c).put("phi3.rope.dimension_count", 8).put("phi3.rope.scaling.attn_factor", 1.19f)
                .put("phi3.rope.scaling.original_context_length", originalContext)
                .tensor("rope_factors_short.weight", 0, GgufWriter.f32(phi3RopeFactors(false)), 4)
                .tensor("rope_factors_long.weight", 0, GgufWriter.f32(phi3RopeFactors(true)), 4)
                .apply(g -> tensors(g, w, true));
    }

    /**
     * BitNet b1.58: every linear ternary times its own scale (mean |w|, as llama.cpp's converter rounds them), sub-norms
     * before o and down, tied classifier.
     */
    private static GgufWriter bitnet() {
        LlamaConfig c = new LlamaConfig(64, 128, 2, 4, 2, 16, 512, 64, 1e-5f, 500000f, RopeStyle.ROTATE_HALF);
        LlamaWeights random = SyntheticWeights.random(c, 141, false, true);
        SplittableRandom r = new SplittableRandom(142);
        List<LayerWeights> layers = new java.util.ArrayList<>();
        for (LayerWeights l : random.layers()) {
            layers.add(new LayerWeights(l.attnNorm(), ternary(l.wq()), ternary(l.wk()), ternary(l.wv()), ternary(l.wo()), null, null, null,
                    null, null, TestWeights.around1(c.qDim(), r), null, l.ffnNorm(), ternary(l.wGate()), ternary(l.wUp()), ternary(l.wDown()),
                    TestWeights.around1(c.hiddenDim(), r), null));
        }
        LlamaWeights w = new LlamaWeights(random.tokenEmbedding(), layers, random.finalNorm(), random.tokenEmbedding());
        return header("bitnet", c).put("bitnet.rope.dimension_count", 16).apply(g -> tensors(g, w, false));
    }

    /** round(w / s) clamped to ±1, times s, with s = mean |w|: llama.cpp's {@code BitnetModel.weight_quant}. */
    private static dev.lowbit.kernels.WeightMatrix ternary(dev.lowbit.kernels.WeightMatrix m) {
        float[] v = m.readAll();
        double s = 0;
        for (float x : v) s += Math.abs(x);
        float scale = (float) Math.max(s / v.length, 1e-5);
        for (int i = 0; i < v.length; i++) v[i] = Math.max(-1, Math.min(1, Math.round(v[i] / scale))) * scale;
        return dev.lowbit.kernels.F32Matrix.of(v, m.rows(), m.cols());
    }

    /** The phi3 file's LongRoPE divisors: short ones (which both lowbit and llama.cpp at this context use) or long ones. */
    public static float[] phi3RopeFactors(boolean longOnes) {
        SplittableRandom r = new SplittableRandom(122);
        float[] shortFactors = new float[4], longFactors = new float[4];
        for (int i = 0; i < 4; i++) {
            shortFactors[i] = (float) (1 + 3 * r.nextDouble());
            longFactors[i] = (float) (5 + 20 * r.nextDouble());
        }
        return longOnes ? longFactors : shortFactors;
    }

    /** Llama with {@code rope.scaling.type = linear}, factor 4 (positions interpolated, as some long-context fine-tunes). */
    private static GgufWriter llamaLinearRope() {
        LlamaConfig c = new LlamaConfig(64, 128, 2, 4, 2, 16, 512, 64, 1e-5f, 10000f, RopeStyle.ADJACENT_PAIRS);
        LlamaWeights w = SyntheticWeights.random(c, 131, false, false);
        return header("llama", c).put("llama.rope.dimension_count", 16).put("llama.rope.scaling.type", "linear")
                .put("llama.rope.scaling.factor", 4f).apply(g -> tensors(g, w, false));
    }

    /** An architecture's keys for {@code c}, after the stories vocabulary. */
    static GgufWriter header(String arch, LlamaConfig c) {
        return GgufModelTest.storiesTokenizer(new GgufWriter()).put("general.architecture", arch)
                .put(arch + ".context_length", c.contextLength()).put(arch + ".embedding_length", c.dim())
                .put(arch + ".feed_forward_length", c.hiddenDim()).put(arch + ".block_count", c.nLayers())
                .put(arch + ".attention.head_count", c.nHeads()).put(arch + ".attention.head_count_kv", c.nKvHeads())
                .put(arch + ".attention.key_length", c.headDim()).put(arch + ".attention.value_length", c.headDim())
                .put(arch + ".attention.layer_norm_rms_epsilon", c.normEps()).put(arch + ".rope.freq_base", c.ropeTheta());
    }

    /**
     * The weights under their GGUF names ({@link NamedWeights}), F32; {@code fused}: q/k/v as one {@code attn_qkv}, gate/up
     * as one {@code ffn_up} of twice the rows (Phi-3).
     */
    static void tensors(GgufWriter g, LlamaWeights w, boolean fused) {
        NamedWeights named = NamedWeights.of(w);
        Map<String, WeightMatrix> m = named.matrices();
        for (Map.Entry<String, WeightMatrix> e : m.entrySet()) {
            String name = e.getKey();
            WeightMatrix x = e.getValue();
            if (fused && name.endsWith(".attn_q")) {
                String p = name.substring(0, name.length() - "attn_q".length());
                WeightMatrix k = m.get(p + "attn_k"), v = m.get(p + "attn_v");
                matrix(g, p + "attn_qkv.weight", concat(x.readAll(), k.readAll(), v.readAll()), x.rows() + k.rows() + v.rows(), x.cols());
            } else if (fused && name.endsWith(".ffn_gate")) {
                WeightMatrix up = m.get(name.substring(0, name.length() - "gate".length()) + "up");
                matrix(g, name.substring(0, name.length() - "gate".length()) + "up.weight", concat(x.readAll(), up.readAll()), 2 * up.rows(), up.cols());
            } else if (!(fused && (name.endsWith(".attn_k") || name.endsWith(".attn_v") || name.endsWith(".ffn_up")))) {
                matrix(g, name + ".weight", x.readAll(), x.rows(), x.cols());
            }
        }
        named.vectors().forEach((name, v) -> vector(g, name + ".weight", v));
    }

    private static void matrix(GgufWriter g, String name, float[] values, int rows, int cols) {
        g.tensor(name, 0, GgufWriter.f32(values), cols, rows);
    }

    private static void vector(GgufWriter g, String name, float[] v) {
        g.tensor(name, 0, GgufWriter.f32(v), v.length);
    }

    private static float[] concat(float[]... parts) {
        int n = 0;
        for (float[] p : parts) n += p.length;
        float[] out = new float[n];
        int at = 0;
        for (float[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
