import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes a Hugging Face folder of lowbit's synthetic llama-1b shape (the shape of {@code RandomGguf.java}) with random
 * bf16 weights: {@code config.json}, one {@code model.safetensors} and a copy of a SentencePiece {@code tokenizer.model}
 * (the Llama 2 one in ../shared/models/llama2-tokenizer, the vocabulary of the GGUFs), for timing lowbit on the third
 * kind of file people download ({@code coldstart.sh}). llama.cpp does not read such folders.
 *
 * <p>Usage: {@code java RandomHfFolder.java TOKENIZER.model OUT_DIR}. Weights are N(0, 0.02²) from a fixed seed;
 * norms are 1. The folder is written beside OUT_DIR and renamed into place when whole.
 */
public class RandomHfFolder {
    static final int DIM = 2048, FFN = 8192, LAYERS = 16, HEADS = 32, KV_HEADS = 8, HEAD_DIM = 64, VOCAB = 32000;

    record Tensor(String name, long[] shape, boolean norm) {
        long bytes() {
            long n = 2;
            for (long d : shape) n *= d;
            return n;
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java RandomHfFolder.java TOKENIZER.model OUT_DIR");
            System.exit(2);
        }
        Path out = Path.of(args[1]), tmp = out.resolveSibling(out.getFileName() + ".tmp");
        Files.createDirectories(tmp);
        Files.copy(Path.of(args[0]), tmp.resolve("tokenizer.model"), StandardCopyOption.REPLACE_EXISTING);
        Files.writeString(tmp.resolve("config.json"), """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": %d, "intermediate_size": %d,
             "num_hidden_layers": %d, "num_attention_heads": %d, "num_key_value_heads": %d, "head_dim": %d,
             "vocab_size": %d, "max_position_embeddings": 2048, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
             "tie_word_embeddings": false, "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu",
             "torch_dtype": "bfloat16"}
            """.formatted(DIM, FFN, LAYERS, HEADS, KV_HEADS, HEAD_DIM, VOCAB));

        List<Tensor> tensors = tensors();
        StringBuilder header = new StringBuilder("{");
        long offset = 0;
        for (Tensor t : tensors) {
            if (header.length() > 1) header.append(',');
            header.append('"').append(t.name()).append("\":{\"dtype\":\"BF16\",\"shape\":[");
            for (int i = 0; i < t.shape().length; i++) header.append(i == 0 ? "" : ",").append(t.shape()[i]);
            header.append("],\"data_offsets\":[").append(offset).append(',').append(offset + t.bytes()).append("]}");
            offset += t.bytes();
        }
        header.append('}');
        while (header.length() % 8 != 0) header.append(' ');
        byte[] head = header.toString().getBytes(StandardCharsets.UTF_8);

        // A pool of 2^24 random bf16 values; each tensor reads it from a random start, wrapping.
        SplittableRandom random = new SplittableRandom(42);
        ByteBuffer pool = ByteBuffer.allocate(2 << 24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 1 << 24; i++) pool.putShort((short) (Float.floatToIntBits((float) (random.nextGaussian() * 0.02)) >>> 16));
        byte[] values = pool.array();
        try (OutputStream os = new java.io.BufferedOutputStream(Files.newOutputStream(tmp.resolve("model.safetensors")), 1 << 20)) {
            os.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(head.length).array());
            os.write(head);
            for (Tensor t : tensors) {
                if (t.norm()) {
                    for (long i = 0; i < t.bytes() / 2; i++) os.write(new byte[] {(byte) 0x80, 0x3F}); // bf16 1.0
                    continue;
                }
                long left = t.bytes();
                int at = 2 * random.nextInt(1 << 24);
                while (left > 0) {
                    int n = (int) Math.min(left, values.length - at);
                    os.write(values, at, n);
                    left -= n;
                    at = 0;
                }
            }
        }
        if (Files.exists(out)) throw new IOException(out + " exists");
        Files.move(tmp, out);
    }

    static List<Tensor> tensors() {
        List<Tensor> t = new ArrayList<>();
        t.add(new Tensor("model.embed_tokens.weight", new long[] {VOCAB, DIM}, false));
        for (int l = 0; l < LAYERS; l++) {
            String p = "model.layers." + l + ".";
            t.add(new Tensor(p + "input_layernorm.weight", new long[] {DIM}, true));
            t.add(new Tensor(p + "self_attn.q_proj.weight", new long[] {HEADS * HEAD_DIM, DIM}, false));
            t.add(new Tensor(p + "self_attn.k_proj.weight", new long[] {KV_HEADS * HEAD_DIM, DIM}, false));
            t.add(new Tensor(p + "self_attn.v_proj.weight", new long[] {KV_HEADS * HEAD_DIM, DIM}, false));
            t.add(new Tensor(p + "self_attn.o_proj.weight", new long[] {DIM, HEADS * HEAD_DIM}, false));
            t.add(new Tensor(p + "post_attention_layernorm.weight", new long[] {DIM}, true));
            t.add(new Tensor(p + "mlp.gate_proj.weight", new long[] {FFN, DIM}, false));
            t.add(new Tensor(p + "mlp.up_proj.weight", new long[] {FFN, DIM}, false));
            t.add(new Tensor(p + "mlp.down_proj.weight", new long[] {DIM, FFN}, false));
        }
        t.add(new Tensor("model.norm.weight", new long[] {DIM}, true));
        t.add(new Tensor("lm_head.weight", new long[] {VOCAB, DIM}, false));
        return t;
    }
}
