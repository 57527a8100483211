package dev.lowbit.engine.format.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.Golden;
import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.engine.tokenizer.Llama2cTokenizerFile;
import dev.lowbit.engine.tokenizer.SentencePieceBpe;
import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.WeightMatrix;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** stories260K converted to GGUF the way llama.cpp lays a llama model out, then loaded back. */
class GgufModelTest {
    @TempDir Path dir;

    /** The real model as GGUF; matrices matching {@code asQ8} are stored as Q8_0 (quantized here, independently). */
    static GgufWriter stories(Predicate<String> asQ8, Map<String, float[]> q8Values) {
        return stories(asQ8, q8Values, 8);
    }

    /** The real model as GGUF; matrices matching {@code quantized} are stored as {@code type} (8 = Q8_0, 2 = Q4_0, 1 = F16). */
    static GgufWriter stories(Predicate<String> asQ8, Map<String, float[]> q8Values, int type) {
        try (LoadedModel m = ModelLoader.load(Golden.MODEL, Golden.TOKENIZER, 1)) {
            var c = m.model().config();
            GgufWriter w = storiesTokenizer(new GgufWriter()
                    .put("general.architecture", "llama").put("general.name", "stories260K")
                    .put("llama.context_length", c.contextLength()).put("llama.embedding_length", c.dim())
                    .put("llama.feed_forward_length", c.hiddenDim()).put("llama.block_count", c.nLayers())
                    .put("llama.attention.head_count", c.nHeads()).put("llama.attention.head_count_kv", c.nKvHeads())
                    .put("llama.attention.layer_norm_rms_epsilon", c.normEps()).put("llama.rope.freq_base", c.ropeTheta()))
                    .put("tokenizer.chat_template", "{{ messages }}");
            NamedWeights named = NamedWeights.of(m.model().weights());
            for (Map.Entry<String, WeightMatrix> e : named.matrices().entrySet()) {
                WeightMatrix mat = e.getValue();
                float[] v = new float[mat.rows() * mat.cols()];
                for (int r = 0; r < mat.rows(); r++) mat.readRow(r, v, r * mat.cols());
                if (asQ8.test(e.getKey())) {
                    float[] back = new float[v.length];
                    byte[] data = switch (type) {
                        case 8 -> q8_0(v, back);
                        case 2 -> q4_0(v, back);
                        case 1 -> {
                            for (int i = 0; i < v.length; i++) back[i] = Float.float16ToFloat(Float.floatToFloat16(v[i]));
                            yield GgufWriter.f16(v);
                        }
                        default -> throw new IllegalArgumentException("type " + type);
                    };
                    w.tensor(e.getKey() + ".weight", type, data, mat.cols(), mat.rows());
                    q8Values.put(e.getKey(), back);
                } else {
                    w.tensor(e.getKey() + ".weight", 0, GgufWriter.f32(v), mat.cols(), mat.rows());
                }
            }
            named.vectors().forEach((name, v) -> w.tensor(name + ".weight", 0, GgufWriter.f32(v), v.length));
            return w;
        }
    }

    /** The stories model's 512-token SentencePiece vocabulary as GGUF tokenizer metadata (BOS 1, EOS 2). */
    static GgufWriter storiesTokenizer(GgufWriter w) {
        SentencePieceBpe tok = Llama2cTokenizerFile.read(Golden.TOKENIZER);
        String[] tokens = new String[tok.vocabSize()];
        float[] scores = new float[tokens.length];
        int[] types = new int[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = tok.piece(i).replace(" ", "\u2581");
            scores[i] = tok.score(i);
            types[i] = i == 0 ? 2 : i <= 2 ? 3 : i <= 258 ? 6 : 1;
        }
        return w.put("tokenizer.ggml.model", "llama").put("tokenizer.ggml.tokens", tokens).put("tokenizer.ggml.scores", scores)
                .put("tokenizer.ggml.token_type", types).put("tokenizer.ggml.bos_token_id", 1).put("tokenizer.ggml.eos_token_id", 2);
    }

    /** Q8_0: per 32 values d = max|x| / 127 (stored as f16), q = round(x / d); {@code back} receives d·q. */
    static byte[] q8_0(float[] x, float[] back) {
        ByteBuffer b = ByteBuffer.allocate(x.length / 32 * 34).order(ByteOrder.LITTLE_ENDIAN);
        for (int blk = 0; blk < x.length / 32; blk++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[blk * 32 + j]));
            short dh = Float.floatToFloat16(amax / 127);
            float d = Float.float16ToFloat(dh);
            b.putShort(dh);
            for (int j = 0; j < 32; j++) {
                int q = d == 0 ? 0 : Math.round(x[blk * 32 + j] / d);
                q = Math.max(-128, Math.min(127, q));
                b.put((byte) q);
                back[blk * 32 + j] = q * d;
            }
        }
        return b.array();
    }

    /** ggml's reference Q4_0: d = (the value of largest magnitude) / −8, q = min(15, (int8)(x/d + 8.5)); back = (q − 8)·d. */
    static byte[] q4_0(float[] x, float[] back) {
        ByteBuffer b = ByteBuffer.allocate(x.length / 32 * 18).order(ByteOrder.LITTLE_ENDIAN);
        for (int blk = 0; blk < x.length / 32; blk++) {
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                float v = x[blk * 32 + j];
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8, id = d != 0 ? 1 / d : 0;
            short dh = Float.floatToFloat16(d);
            b.putShort(dh);
            int[] q = new int[32];
            for (int j = 0; j < 32; j++) q[j] = Math.min(15, (byte) (int) (x[blk * 32 + j] * id + 8.5f));
            for (int j = 0; j < 16; j++) b.put((byte) (q[j] | q[j + 16] << 4));
            for (int j = 0; j < 32; j++) back[blk * 32 + j] = (q[j] - 8) * Float.float16ToFloat(dh);
        }
        return b.array();
    }

    @Test
    void q4_0RunsOnTheTableLookupKernel() throws Exception {
        Map<String, float[]> q4 = new LinkedHashMap<>();
        Path file = dir.resolve("stories-q4_0.gguf");
        Files.write(file, stories(name -> name.startsWith("blk.") && !name.endsWith("ffn_down"), q4, 2).bytes());
        try (LoadedModel g = ModelLoader.load(file, null, 1); LoadedModel o = ModelLoader.load(Golden.MODEL, Golden.TOKENIZER, 1)) {
            LlamaModel reference = withValues(o, q4);
            assertTrue(NamedWeights.of(g.model().weights()).matrices().get("blk.0.attn_q") instanceof dev.lowbit.kernels.LutMatrix);
            int[] prompt = g.tokenizer().encode("Once upon a time there was a little dog", true, false);
            float[] a = logits(reference, prompt), b = logits(g.model(), prompt);
            int vocab = o.model().config().vocabSize(), agree = 0;
            for (int t = 0; t < prompt.length; t++) {
                if (argmax(a, t * vocab, vocab) == argmax(b, t * vocab, vocab)) agree++;
                for (int i = 0; i < vocab; i++) assertEquals(a[t * vocab + i], b[t * vocab + i], 0.5f, "position " + t);
            }
            assertTrue(agree >= prompt.length - 1, agree + " of " + prompt.length + " positions agree on the top token");
        }
    }

    /** The original model with the given matrices replaced by these (dequantized) values, in fp32. */
    static LlamaModel withValues(LoadedModel original, Map<String, float[]> values) {
        NamedWeights named = NamedWeights.of(original.model().weights());
        Map<String, WeightMatrix> matrices = new LinkedHashMap<>(named.matrices());
        values.forEach((name, v) -> matrices.put(name, F32Matrix.of(v, matrices.get(name).rows(), matrices.get(name).cols())));
        return new LlamaModel(original.model().config(), new NamedWeights(matrices, named.vectors()).toWeights(5), original.model().pool());
    }

    static int argmax(float[] v, int off, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (v[off + i] > v[off + best]) best = i;
        return best;
    }

    static float[] logits(LlamaModel m, int[] tokens) {
        InferenceState s = m.newState(64, 64);
        m.forward(s, tokens, 0, tokens.length, 0, true);
        return Arrays.copyOf(s.logits(), tokens.length * m.config().vocabSize());
    }

    @Test
    void f32GgufRunsExactlyLikeTheOriginal() throws Exception {
        Path file = dir.resolve("stories.gguf");
        Files.write(file, stories(name -> false, new LinkedHashMap<>()).bytes());
        try (LoadedModel g = ModelLoader.load(file, null, 1); LoadedModel o = ModelLoader.load(Golden.MODEL, Golden.TOKENIZER, 1)) {
            assertEquals("gguf v3", g.format());
            assertEquals(o.model().config(), g.model().config());
            int[] prompt = g.tokenizer().encode("Once upon a time", true, false);
            assertArrayEquals(Golden.ints("greedy_prompt_once_upon_a_time", "prompt_ids"), prompt);
            assertArrayEquals(logits(o.model(), prompt), logits(g.model(), prompt));
        }
    }

    @Test
    void q8_0MatricesComputeWithTheirDequantizedValues() throws Exception {
        Map<String, float[]> q8 = new LinkedHashMap<>();
        Path file = dir.resolve("stories-q8.gguf");
        Files.write(file, stories(name -> name.startsWith("blk.") && !name.endsWith("ffn_down"), q8).bytes()); // 172 columns: not whole blocks
        try (LoadedModel g = ModelLoader.load(file, null, 1); LoadedModel o = ModelLoader.load(Golden.MODEL, Golden.TOKENIZER, 1)) {
            LlamaModel reference = withValues(o, q8);
            // Q8_0 runs on lowbit's int8 kernel (int8 weights, fp32 activations).
            assertTrue(NamedWeights.of(g.model().weights()).matrices().get("blk.0.attn_q") instanceof dev.lowbit.kernels.Int8Matrix);
            int[] prompt = g.tokenizer().encode("Once upon a time there was", true, false);
            float[] a = logits(reference, prompt), b = logits(g.model(), prompt);
            for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-4f, "logit " + i);
        }
    }
}
