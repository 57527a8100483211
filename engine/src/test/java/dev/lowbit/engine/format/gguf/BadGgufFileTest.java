package dev.lowbit.engine.format.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.ModelFileException;
import dev.lowbit.engine.ModelLoader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Corrupt GGUF files fail with one line naming the file and the problem: no crash, hang or OutOfMemoryError. */
class BadGgufFileTest {
    @TempDir Path dir;
    static byte[] valid;

    @BeforeAll
    static void build() {
        valid = GgufModelTest.stories(name -> false, new LinkedHashMap<>()).bytes();
    }

    ModelFileException fails(byte[] content, String expected) throws Exception {
        Path f = dir.resolve("bad.gguf");
        Files.write(f, content);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelLoader.load(f, null, 1).close());
        assertTrue(e.getMessage().startsWith(f + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
        return e;
    }

    /** Overwrites the 8-byte length or count just before the first occurrence of {@code marker}. */
    static byte[] forgeLengthBefore(byte[] file, String marker, long value) {
        byte[] m = marker.getBytes(StandardCharsets.UTF_8);
        for (int i = 8; i + m.length <= file.length; i++) {
            if (Arrays.equals(file, i, i + m.length, m, 0, m.length)) {
                byte[] copy = file.clone();
                ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong(i - 8, value);
                return copy;
            }
        }
        throw new IllegalArgumentException(marker);
    }

    @Test
    void everyTruncationIsAClearError() throws Exception {
        for (int cut : new int[] {0, 3, 4, 8, 15, 23, 40, 1000, 5000, 9000, valid.length / 2, valid.length - 1}) {
            String message = fails(Arrays.copyOf(valid, cut), "").getMessage();
            assertTrue(cut < 4 ? message.contains("not a GGUF file") || message.contains("shorter")
                    : message.contains("truncated") || message.contains("past the end of the file"), message);
        }
    }

    @Test
    void forgedLengthsAndCounts() throws Exception {
        fails(forgeLengthBefore(valid, "general.architecture", Long.MAX_VALUE / 2), "exceeds the file");
        fails(forgeLengthBefore(valid, "stories260K", 1L << 40), "exceeds the file");
        byte[] counts = valid.clone();
        ByteBuffer.wrap(counts).order(ByteOrder.LITTLE_ENDIAN).putLong(16, 1L << 50); // metadata count
        fails(counts, "metadata count");
        counts = valid.clone();
        ByteBuffer.wrap(counts).order(ByteOrder.LITTLE_ENDIAN).putLong(8, -1L); // tensor count 2^64 - 1
        fails(counts, "tensor count");
        counts = valid.clone();
        ByteBuffer.wrap(counts).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 1); // version 1
        fails(counts, "GGUF version 1 is not supported");
    }

    @Test
    void tensorsPastTheEndOverlappingOrOfUnknownType() throws Exception {
        GgufWriter w = GgufModelTest.stories(name -> false, new LinkedHashMap<>());
        w.forcedOffsets.put("output_norm.weight", 1L << 40);
        fails(w.bytes(), "tensor 'output_norm.weight' (256 bytes at data offset 1099511627776) lies past the end of the file");

        w = GgufModelTest.stories(name -> false, new LinkedHashMap<>());
        w.forcedOffsets.put("blk.0.attn_k.weight", 0L);
        fails(w.bytes(), "overlap");

        w = GgufModelTest.stories(name -> false, new LinkedHashMap<>());
        w.forcedOffsets.put("blk.0.attn_k.weight", 4L);
        fails(w.bytes(), "is not aligned to 32");

        w = GgufModelTest.stories(name -> false, new LinkedHashMap<>());
        w.tensors.set(1, new GgufWriter.Tensor(w.tensors.get(1).name(), w.tensors.get(1).shape(), 99, w.tensors.get(1).data()));
        fails(w.bytes(), "has unknown type 99");

        w = GgufModelTest.stories(name -> false, new LinkedHashMap<>());
        w.tensors.set(1, new GgufWriter.Tensor(w.tensors.get(1).name(), w.tensors.get(1).shape(), 13, w.tensors.get(1).data()));
        fails(w.bytes(), "row of 64 is not a whole number of Q5_K blocks of 256");
    }

    @Test
    void shapesThatDoNotFitTheModel() throws Exception {
        GgufWriter w = GgufModelTest.stories(name -> false, new LinkedHashMap<>());
        GgufWriter.Tensor q = w.tensors.get(1);
        assertEquals("blk.0.attn_q.weight", q.name());
        w.tensors.set(1, new GgufWriter.Tensor(q.name(), new long[] {32, 128}, 0, q.data()));
        fails(w.bytes(), "layer 0: wq is 128x32, expected 64x64");

        w = GgufModelTest.stories(name -> false, new LinkedHashMap<>());
        w.tensors.remove(2);
        fails(w.bytes(), "tensor blk.0.attn_k is missing");

        w = GgufModelTest.stories(name -> false, new LinkedHashMap<>());
        w.put("llama.attention.head_count", 7);
        fails(w.bytes(), "inconsistent hyper-parameters");

        w = GgufModelTest.stories(name -> false, new LinkedHashMap<>());
        w.put("general.architecture", "gpt2");
        fails(w.bytes(), "architecture 'gpt2' is not supported (llama, qwen2, qwen3, smollm3, gemma, gemma2, gemma3, phi3, bitnet)");
    }

    @Test
    void vocabularyOnlyFilesAreNotModels() throws Exception {
        Path vocab = dev.lowbit.engine.SharedData.require("models/gguf-vocab/ggml-vocab-llama-spm.gguf");
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelLoader.load(vocab, null, 1).close());
        assertEquals(vocab + ": has no tensors (a vocabulary-only GGUF file)", e.getMessage());
    }

    /** Random byte flips in the header: every outcome is a clean load or one clear line, never another exception. */
    @Test
    void randomHeaderCorruption() throws Exception {
        java.util.SplittableRandom rnd = new java.util.SplittableRandom(42);
        int headerEnd = 20000; // metadata and tensor directory of this file lie well within its first 20 KB
        Path f = dir.resolve("fuzz.gguf");
        int clean = 0, refused = 0;
        for (int trial = 0; trial < 300; trial++) {
            byte[] b = valid.clone();
            for (int k = 0; k < 1 + rnd.nextInt(4); k++) b[rnd.nextInt(headerEnd)] = (byte) rnd.nextInt(256);
            Files.write(f, b);
            try {
                ModelLoader.load(f, null, 1).close();
                clean++;
            } catch (dev.lowbit.engine.LowbitException e) {
                assertTrue(!e.getMessage().contains("\n") && e.getMessage().startsWith(f.toString()), e.getMessage());
                refused++;
            }
        }
        assertTrue(refused > 0 && clean + refused == 300, clean + " clean, " + refused + " refused");
    }
}
