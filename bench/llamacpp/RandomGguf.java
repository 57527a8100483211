import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Writes an F16 GGUF of lowbit's synthetic llama-1b shape (dim 2048, FFN 8192, 16 layers, 32 heads, 8 KV heads,
 * vocabulary 32000) with random weights, for llama.cpp to quantize and run beside {@code lowbit bench --synthetic
 * llama-1b}. The vocabulary (the {@code tokenizer.*} keys) is copied from a vocabulary-only GGUF such as
 * llama.cpp's {@code ggml-vocab-llama-spm.gguf} in ../shared/models/gguf-vocab.
 *
 * <p>Usage: {@code java RandomGguf.java VOCAB.gguf OUT.gguf}. Weights are N(0, 0.02²) from a fixed seed; norms are 1.
 */
public class RandomGguf {
    static final int DIM = 2048, FFN = 8192, LAYERS = 16, HEADS = 32, KV_HEADS = 8, VOCAB = 32000, ALIGN = 32;
    static final int F32 = 0, F16 = 1, T_UINT32 = 4, T_FLOAT32 = 6, T_STRING = 8, T_ARRAY = 9;

    record Tensor(String name, long[] shape, int type) {
        long bytes() {
            long n = 1;
            for (long d : shape) n *= d;
            return n * (type == F32 ? 4 : 2);
        }
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: java RandomGguf.java VOCAB.gguf OUT.gguf");
            System.exit(2);
        }
        Path out = Path.of(args[1]);
        ByteBuffer head = ByteBuffer.allocate(16 << 20).order(ByteOrder.LITTLE_ENDIAN);
        List<byte[]> vocab = tokenizerKeys(Path.of(args[0]));
        List<Tensor> tensors = tensors();
        head.put("GGUF".getBytes(StandardCharsets.US_ASCII)).putInt(3).putLong(tensors.size()).putLong(12 + vocab.size());
        string(head, "general.architecture"); head.putInt(T_STRING); string(head, "llama");
        string(head, "general.name"); head.putInt(T_STRING); string(head, "random llama-1b (lowbit bench/llamacpp)");
        u32(head, "general.file_type", 1);
        u32(head, "llama.context_length", 2048);
        u32(head, "llama.embedding_length", DIM);
        u32(head, "llama.block_count", LAYERS);
        u32(head, "llama.feed_forward_length", FFN);
        u32(head, "llama.rope.dimension_count", DIM / HEADS);
        u32(head, "llama.attention.head_count", HEADS);
        u32(head, "llama.attention.head_count_kv", KV_HEADS);
        string(head, "llama.attention.layer_norm_rms_epsilon"); head.putInt(T_FLOAT32).putFloat(1e-5f);
        u32(head, "llama.vocab_size", VOCAB);
        for (byte[] kv : vocab) head.put(kv);
        long offset = 0;
        for (Tensor t : tensors) {
            string(head, t.name());
            head.putInt(t.shape().length);
            for (long d : t.shape()) head.putLong(d);
            head.putInt(t.type()).putLong(offset);
            offset += align(t.bytes());
        }
        head.position((int) align(head.position()));
        head.flip();

        // A pool of 2^24 random f16 values; each tensor reads it from a random start, wrapping.
        SplittableRandom random = new SplittableRandom(42);
        ByteBuffer pool = ByteBuffer.allocate(2 << 24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 1 << 24; i++) pool.putShort(Float.floatToFloat16((float) (random.nextGaussian() * 0.02)));
        byte[] values = pool.array();
        Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
             OutputStream os = new java.io.BufferedOutputStream(java.nio.channels.Channels.newOutputStream(ch), 1 << 20)) {
            os.write(head.array(), 0, head.limit());
            byte[] one = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).array();
            for (Tensor t : tensors) {
                long n = t.bytes();
                if (t.type() == F32) {
                    for (long i = 0; i < n; i += 4) os.write(one);
                } else {
                    int at = random.nextInt(values.length / 2) * 2;
                    for (long left = n; left > 0; ) {
                        int k = (int) Math.min(left, values.length - at);
                        os.write(values, at, k);
                        left -= k;
                        at = 0;
                    }
                }
                os.write(new byte[(int) (align(n) - n)]);
            }
        }
        Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        System.out.println(out + ": " + Files.size(out) + " bytes");
    }

    static List<Tensor> tensors() {
        int kvDim = DIM / HEADS * KV_HEADS;
        List<Tensor> ts = new ArrayList<>();
        ts.add(new Tensor("token_embd.weight", new long[] {DIM, VOCAB}, F16));
        ts.add(new Tensor("output_norm.weight", new long[] {DIM}, F32));
        ts.add(new Tensor("output.weight", new long[] {DIM, VOCAB}, F16));
        for (int l = 0; l < LAYERS; l++) {
            String b = "blk." + l + ".";
            ts.add(new Tensor(b + "attn_norm.weight", new long[] {DIM}, F32));
            ts.add(new Tensor(b + "attn_q.weight", new long[] {DIM, DIM}, F16));
            ts.add(new Tensor(b + "attn_k.weight", new long[] {DIM, kvDim}, F16));
            ts.add(new Tensor(b + "attn_v.weight", new long[] {DIM, kvDim}, F16));
            ts.add(new Tensor(b + "attn_output.weight", new long[] {DIM, DIM}, F16));
            ts.add(new Tensor(b + "ffn_norm.weight", new long[] {DIM}, F32));
            ts.add(new Tensor(b + "ffn_gate.weight", new long[] {DIM, FFN}, F16));
            ts.add(new Tensor(b + "ffn_up.weight", new long[] {DIM, FFN}, F16));
            ts.add(new Tensor(b + "ffn_down.weight", new long[] {FFN, DIM}, F16));
        }
        return ts;
    }

    /** The raw bytes of every {@code tokenizer.*} key-value pair of a GGUF (version 2 or 3). */
    static List<byte[]> tokenizerKeys(Path vocab) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(Files.readAllBytes(vocab)).order(ByteOrder.LITTLE_ENDIAN);
        if (b.getInt() != 0x46554747) throw new IOException(vocab + ": not a GGUF file");
        b.getInt();
        b.getLong();
        long count = b.getLong();
        List<byte[]> keep = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            int start = b.position();
            String key = new String(bytes(b), StandardCharsets.UTF_8);
            skipValue(b, b.getInt());
            if (key.startsWith("tokenizer.")) {
                byte[] kv = new byte[b.position() - start];
                b.get(start, kv);
                keep.add(kv);
            }
        }
        return keep;
    }

    static void skipValue(ByteBuffer b, int type) {
        switch (type) {
            case 0, 1, 7 -> b.position(b.position() + 1);
            case 2, 3 -> b.position(b.position() + 2);
            case 4, 5, 6 -> b.position(b.position() + 4);
            case 10, 11, 12 -> b.position(b.position() + 8);
            case T_STRING -> bytes(b);
            case T_ARRAY -> {
                int element = b.getInt();
                long n = b.getLong();
                for (long i = 0; i < n; i++) skipValue(b, element);
            }
            default -> throw new IllegalArgumentException("unknown GGUF value type " + type);
        }
    }

    static byte[] bytes(ByteBuffer b) {
        byte[] s = new byte[Math.toIntExact(b.getLong())];
        b.get(s);
        return s;
    }

    static void string(ByteBuffer b, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        b.putLong(bytes.length).put(bytes);
    }

    static void u32(ByteBuffer b, String key, int value) {
        string(b, key);
        b.putInt(T_UINT32).putInt(value);
    }

    static long align(long n) {
        return (n + ALIGN - 1) / ALIGN * ALIGN;
    }
}
