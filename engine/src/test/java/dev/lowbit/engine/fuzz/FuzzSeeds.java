package dev.lowbit.engine.fuzz;

import dev.lowbit.engine.chat.ChatTemplate;
import dev.lowbit.engine.format.Llama2cWriter;
import dev.lowbit.engine.format.LowbitWriter;
import dev.lowbit.engine.format.gguf.GgufWriter;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.engine.model.RopeStyle;
import dev.lowbit.engine.model.SyntheticWeights;
import dev.lowbit.engine.tokenizer.SentencePieceBpe;
import dev.lowbit.kernels.WeightMatrix;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;

/**
 * Writes the seed inputs of {@link ParserFuzzTest}: the smallest valid file of each format, made here from a tiny random
 * model and a 40-piece vocabulary (no shared data is copied). Run once; the seeds are committed:
 * {@code java -cp … dev.lowbit.engine.fuzz.FuzzSeeds engine/src/test/resources/dev/lowbit/engine/fuzz/ParserFuzzTestInputs}.
 */
public final class FuzzSeeds {
    static final LlamaConfig CONFIG = new LlamaConfig(32, 64, 1, 2, 1, 16, 40, 32, 1e-5f, 10000f, RopeStyle.ADJACENT_PAIRS);
    static final String[] PIECES = pieces();

    private FuzzSeeds() {}

    private static String[] pieces() {
        String[] p = new String[40];
        p[0] = "<unk>";
        p[1] = "<s>";
        p[2] = "</s>";
        String more = "\u2581 e t a o n \u2581t he \u2581the \u2581a in er an re on \u2581w \u2581s d l";
        String[] m = more.split(" ");
        for (int i = 0; i < m.length; i++) p[3 + i] = m[i];
        for (int i = 3 + m.length, c = 'b'; i < 40; i++, c++) p[i] = String.valueOf((char) c);
        return p;
    }

    static SentencePieceBpe tokenizer() {
        float[] scores = new float[PIECES.length];
        boolean[] control = new boolean[PIECES.length];
        for (int i = 0; i < scores.length; i++) scores[i] = -i;
        control[1] = control[2] = true;
        return new SentencePieceBpe(PIECES, scores, control, 1, 2, 0, "\u2581");
    }

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args[0]);
        LlamaWeights w = SyntheticWeights.random(CONFIG, 3, false, true);
        write(root, "gguf", gguf(w));
        Path lowbit = Files.createTempFile("seed", ".lowbit");
        LowbitWriter.write(lowbit, CONFIG, tokenizer(), "{{ messages }}", null, w, true);
        write(root, "lowbit", Files.readAllBytes(lowbit));
        Files.delete(lowbit);
        Path bin = Files.createTempFile("seed", ".bin");
        Llama2cWriter.write(bin, CONFIG, w);
        write(root, "llama2c", Parts.join(llama2cTokenizer(), Files.readAllBytes(bin)));
        Files.delete(bin);
        write(root, "llama2cTokenizer", llama2cTokenizer());
        byte[] st = safetensors(Map.of("model.embed_tokens.weight", new float[] {1, 2, 3, 4, 5, 6}), 2, 3);
        write(root, "safetensors", st);
        String config = "{\"architectures\":[\"LlamaForCausalLM\"],\"hidden_size\":32,\"intermediate_size\":64,\"num_hidden_layers\":1,"
                + "\"num_attention_heads\":2,\"num_key_value_heads\":1,\"vocab_size\":40,\"max_position_embeddings\":32,"
                + "\"rms_norm_eps\":1e-5,\"rope_theta\":10000.0,\"tie_word_embeddings\":true,\"bos_token_id\":1,\"eos_token_id\":2}";
        String tokConfig = "{\"add_bos_token\":true,\"bos_token\":\"<s>\",\"eos_token\":\"</s>\",\"chat_template\":\"{% for m in messages %}{{ m.content }}{% endfor %}\"}";
        write(root, "hfFolder", Parts.join(utf8(config), utf8(tokConfig), utf8(tokenizerJson()), utf8(""), st));
        write(root, "tokenizerJson", utf8(tokenizerJson()));
        write(root, "vocabMerges", Parts.join(utf8("{\"a\":0,\"b\":1,\"c\":2,\"ab\":3,\"abc\":4,\"\u0120\":5,\"\u0120a\":6}"), utf8("#version: 0.2\na b\nab c\n\u0120 a\n")));
        write(root, "sentencePiece", sentencePiece());
        write(root, "tiktoken", tiktoken());
        for (String t : new String[] {"chatml", "llama3", "llama2"}) {
            write(root, "chatTemplate", t, Parts.join(utf8("Be brief."), utf8("Hi there"), utf8("Hello!"), utf8(ChatTemplate.builtin(t).source())));
        }
    }

    private static void write(Path root, String target, byte[] seed) throws IOException {
        write(root, target, "seed", seed);
    }

    private static void write(Path root, String target, String name, byte[] seed) throws IOException {
        Path dir = Files.createDirectories(root.resolve(target));
        Files.write(dir.resolve(name), seed);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] gguf(LlamaWeights w) {
        int[] types = new int[PIECES.length];
        float[] scores = new float[PIECES.length];
        for (int i = 0; i < types.length; i++) {
            types[i] = i == 0 ? 2 : i <= 2 ? 3 : 1;
            scores[i] = -i;
        }
        LlamaConfig c = CONFIG;
        GgufWriter g = new GgufWriter().put("general.architecture", "llama").put("llama.context_length", c.contextLength())
                .put("llama.embedding_length", c.dim()).put("llama.feed_forward_length", c.hiddenDim()).put("llama.block_count", c.nLayers())
                .put("llama.attention.head_count", c.nHeads()).put("llama.attention.head_count_kv", c.nKvHeads())
                .put("llama.attention.layer_norm_rms_epsilon", c.normEps()).put("llama.rope.freq_base", c.ropeTheta())
                .put("tokenizer.ggml.model", "llama").put("tokenizer.ggml.tokens", PIECES).put("tokenizer.ggml.scores", scores)
                .put("tokenizer.ggml.token_type", types).put("tokenizer.ggml.bos_token_id", 1).put("tokenizer.ggml.eos_token_id", 2)
                .put("tokenizer.chat_template", "{{ messages }}");
        NamedWeights named = NamedWeights.of(w);
        for (Map.Entry<String, WeightMatrix> e : named.matrices().entrySet()) {
            WeightMatrix m = e.getValue();
            g.tensor(e.getKey() + ".weight", 0, GgufWriter.f32(m.readAll()), m.cols(), m.rows());
        }
        named.vectors().forEach((name, v) -> g.tensor(name + ".weight", 0, GgufWriter.f32(v), v.length));
        return g.bytes();
    }

    /** llama2.c's tokenizer.bin: max token length, then per token its score, length and bytes (little-endian). */
    private static byte[] llama2cTokenizer() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
        out.writeBytes(b.putInt(0, 8).array().clone());
        for (int i = 0; i < PIECES.length; i++) {
            byte[] text = utf8(PIECES[i].replace('\u2581', ' '));
            out.writeBytes(b.putFloat(0, -i).array().clone());
            out.writeBytes(b.putInt(0, text.length).array().clone());
            out.writeBytes(text);
        }
        return out.toByteArray();
    }

    private static byte[] safetensors(Map<String, float[]> tensors, int rows, int cols) {
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        tensors.forEach((name, v) -> {
            header.append(",\"").append(name).append("\":{\"dtype\":\"F32\",\"shape\":[").append(rows).append(',').append(cols)
                    .append("],\"data_offsets\":[").append(data.size()).append(',').append(data.size() + 4 * v.length).append("]}");
            ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : v) b.putFloat(f);
            data.writeBytes(b.array());
        });
        byte[] h = utf8(header.append('}').toString());
        ByteBuffer out = ByteBuffer.allocate(8 + h.length + data.size()).order(ByteOrder.LITTLE_ENDIAN);
        return out.putLong(h.length).put(h).put(data.toByteArray()).array();
    }

    /** A byte-level BPE tokenizer.json with a few merges and added tokens. */
    private static String tokenizerJson() {
        return "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":7,\"content\":\"<|end|>\",\"special\":true}],"
                + "\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"use_regex\":true},"
                + "\"decoder\":{\"type\":\"ByteLevel\"},\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1,\"c\":2,\"ab\":3,\"abc\":4,"
                + "\"\u0120\":5,\"\u0120a\":6,\"<|end|>\":7},\"merges\":[\"a b\",\"ab c\",\"\u0120 a\"]}}";
    }

    /** A SentencePiece ModelProto: field 1 pieces (1 text, 2 score, 3 type). */
    private static byte[] sentencePiece() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < PIECES.length; i++) {
            ByteArrayOutputStream piece = new ByteArrayOutputStream();
            byte[] text = utf8(PIECES[i]);
            piece.write(0x0A);
            piece.write(text.length);
            piece.writeBytes(text);
            piece.write(0x15);
            piece.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(-i).array());
            piece.write(0x18);
            piece.write(i == 0 ? 2 : i <= 2 ? 3 : 1);
            out.write(0x0A);
            out.write(piece.size());
            out.writeBytes(piece.toByteArray());
        }
        return out.toByteArray();
    }

    /** Llama 3's tiktoken file: every byte, then a few merged pieces, one "base64 rank" per line. */
    private static byte[] tiktoken() {
        StringBuilder sb = new StringBuilder();
        int rank = 0;
        for (int b = 0; b < 256; b++) sb.append(Base64.getEncoder().encodeToString(new byte[] {(byte) b})).append(' ').append(rank++).append('\n');
        for (String s : new String[] {" t", "he", " the", "in", " a"}) sb.append(Base64.getEncoder().encodeToString(utf8(s))).append(' ').append(rank++).append('\n');
        return utf8(sb.toString());
    }
}
