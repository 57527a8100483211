package dev.lowbit.engine.format.gguf;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.LowbitException;
import dev.lowbit.engine.ModelFileException;
import dev.lowbit.engine.ModelLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Corrupt Gemma 2/3 and Phi-3 GGUFs ({@link ParityModels}) fail with one line naming the file: truncated anywhere,
 * bytes flipped in their architecture keys and tensor directory, and metadata or shapes that contradict each other.
 */
class BadArchitectureGgufTest {
    @TempDir Path dir;

    private ModelFileException fails(byte[] content, String expected) throws Exception {
        Path f = dir.resolve("bad.gguf");
        Files.write(f, content);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelLoader.load(f, null, 1).close());
        assertTrue(e.getMessage().startsWith(f + ": ") && !e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        return e;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gemma2", "gemma3", "phi3"})
    void truncationsAreClearErrors(String name) throws Exception {
        byte[] valid = ParityModels.bytes(name);
        for (int cut : new int[] {4, 100, start(valid) + 10, start(valid) + 2000, start(valid) + 5000, valid.length / 2, valid.length - 1}) {
            String message = fails(Arrays.copyOf(valid, cut), "").getMessage();
            assertTrue(message.contains("truncated") || message.contains("past the end of the file"), message);
        }
    }

    /** Random bytes in the architecture keys and the tensor directory: a clean load or one clear line, nothing else. */
    @ParameterizedTest
    @ValueSource(strings = {"gemma2", "gemma3", "phi3"})
    void randomCorruptionOfTheArchitectureKeys(String name) throws Exception {
        byte[] valid = ParityModels.bytes(name);
        int from = start(valid), span = 6000;
        SplittableRandom rnd = new SplittableRandom(name.hashCode());
        Path f = dir.resolve("fuzz.gguf");
        int clean = 0, refused = 0;
        for (int trial = 0; trial < 150; trial++) {
            byte[] b = valid.clone();
            for (int k = 0; k < 1 + rnd.nextInt(3); k++) b[from + rnd.nextInt(span)] = (byte) rnd.nextInt(256);
            Files.write(f, b);
            try {
                ModelLoader.load(f, null, 1).close();
                clean++;
            } catch (LowbitException e) {
                assertTrue(!e.getMessage().contains("\n") && e.getMessage().startsWith(f.toString()), e.getMessage());
                refused++;
            }
        }
        assertTrue(refused > 0 && clean + refused == 150, clean + " clean, " + refused + " refused");
    }

    @Test
    void contradictoryMetadataAndShapes() throws Exception {
        GgufWriter w = ParityModels.write("phi3");
        w.tensors.replaceAll(t -> t.name().equals("blk.0.attn_qkv.weight")
                ? new GgufWriter.Tensor(t.name(), new long[] {64, 160}, t.type(), Arrays.copyOf(t.data(), 64 * 160 * 4)) : t);
        fails(w.bytes(), "tensor 'blk.0.attn_qkv.weight' has 160 rows, expected q+k+v = 192");

        fails(ParityModels.write("phi3").put("phi3.rope.dimension_count", 7).bytes(), "phi3.rope.dimension_count = 7 is odd");
        fails(ParityModels.write("phi3").put("phi3.rope.dimension_count", 32).bytes(), "out of range");
        fails(ParityModels.write("phi3").put("phi3.rope.dimension_count", 16).bytes(), "rope_factors_short.weight has 4 values, expected 8");
        fails(ParityModels.write("phi3").put("phi3.rope.scaling.attn_factor", -1f).bytes(), "RoPE magnitude -1.0 is not positive");
        fails(ParityModels.write("gemma2").put("gemma2.attn_logit_softcapping", Float.NaN).bytes(), "attention soft-cap NaN");
        fails(ParityModels.write("gemma3").put("gemma3.rope.scaling.type", "yarn").bytes(), "RoPE scaling 'yarn' (factor 2.0) is not supported");

        w = ParityModels.write("gemma2");
        w.tensors.removeIf(t -> t.name().equals("blk.1.post_ffw_norm.weight"));
        fails(w.bytes(), "layer 1: post-attention and post-MLP norms come together");
    }

    /**
     * Every GGUF tensor type lowbit reads, its blocks filled with random bytes (scales that are NaN, ∞ or huge
     * included): the file loads, and a forward pass runs without an exception, whatever numbers come out. Truncating
     * such a tensor's data is one clear line.
     */
    @ParameterizedTest
    @ValueSource(strings = {"Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS", "TQ1_0",
            "TQ2_0", "MXFP4", "F16", "BF16"})
    void randomBlocksOfEveryTypeRun(String typeName) throws Exception {
        GgmlType type = GgmlType.valueOf(typeName);
        int dim = 256, hidden = 512;
        SplittableRandom rnd = new SplittableRandom(type.id);
        GgufWriter w = GgufModelTest.storiesTokenizer(new GgufWriter()).put("general.architecture", "llama")
                .put("llama.context_length", 64).put("llama.embedding_length", dim).put("llama.feed_forward_length", hidden)
                .put("llama.block_count", 1).put("llama.attention.head_count", 4).put("llama.attention.layer_norm_rms_epsilon", 1e-5f);
        w.tensor("token_embd.weight", 0, GgufWriter.f32(new float[512 * dim]), dim, 512);
        w.tensor("blk.0.attn_norm.weight", 0, GgufWriter.f32(ones(dim)), dim);
        w.tensor("blk.0.ffn_norm.weight", 0, GgufWriter.f32(ones(dim)), dim);
        w.tensor("output_norm.weight", 0, GgufWriter.f32(ones(dim)), dim);
        String[][] shapes = {{"attn_q", "256", "256"}, {"attn_k", "256", "256"}, {"attn_v", "256", "256"}, {"attn_output", "256", "256"},
                {"ffn_gate", "512", "256"}, {"ffn_up", "512", "256"}, {"ffn_down", "256", "512"}};
        for (String[] t : shapes) {
            int rows = Integer.parseInt(t[1]), cols = Integer.parseInt(t[2]);
            byte[] data = new byte[(int) type.bytesFor((long) rows * cols)];
            rnd.nextBytes(data);
            w.tensor("blk.0." + t[0] + ".weight", type.id, data, cols, rows);
        }
        Path f = dir.resolve(typeName + ".gguf");
        byte[] file = w.bytes();
        Files.write(f, file);
        try (var m = ModelLoader.load(f, null, 1)) {
            var s = m.model().newState(16, 4);
            m.model().forward(s, new int[] {1, 300, 17, 42}, 0, 4, 0, true);
        }
        fails(Arrays.copyOf(file, file.length - 100), "");
    }

    private static float[] ones(int n) {
        float[] v = new float[n];
        Arrays.fill(v, 1f);
        return v;
    }

    /** Where the architecture's own keys begin: after the vocabulary, at {@code general.architecture}. */
    private static int start(byte[] file) {
        byte[] key = "general.architecture".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i + key.length <= file.length; i++) if (Arrays.equals(file, i, i + key.length, key, 0, key.length)) return i;
        throw new IllegalStateException("no general.architecture key");
    }
}
