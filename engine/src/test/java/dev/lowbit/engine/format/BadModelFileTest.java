package dev.lowbit.engine.format;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.Golden;
import dev.lowbit.engine.ModelFileException;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.tokenizer.Llama2cTokenizerFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Untrusted model and tokenizer files fail with a message that names the file and the problem. */
class BadModelFileTest {
    @TempDir Path dir;

    private ModelFileException loadFails(byte[] content, String expectedProblem) throws Exception {
        Path model = dir.resolve("model.bin");
        Files.write(model, content);
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelLoader.load(model, Golden.TOKENIZER, 1).close());
        assertEquals(model, e.file());
        assertTrue(e.getMessage().startsWith(model + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expectedProblem), e.getMessage());
        assertTrue(!e.getMessage().contains("\n"), "one line");
        return e;
    }

    private static byte[] header(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) b.putInt(v);
        return b.array();
    }

    private static byte[] real() throws Exception {
        return Files.readAllBytes(Golden.MODEL);
    }

    @Test
    void missingFileAndDirectory() {
        Path missing = dir.resolve("nope.bin");
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelLoader.load(missing, null, 1));
        assertEquals(missing + ": file not found", e.getMessage());
        e = assertThrows(ModelFileException.class, () -> ModelLoader.load(dir, null, 1));
        assertTrue(e.getMessage().contains("not a Hugging Face model folder"), e.getMessage());
    }

    @Test
    void emptyAndShortFiles() throws Exception {
        loadFails(new byte[0], "shorter than the 28-byte header");
        loadFails(new byte[27], "shorter than the 28-byte header");
    }

    @Test
    void garbage() throws Exception {
        byte[] junk = new byte[4096];
        new Random(1).nextBytes(junk);
        loadFails(junk, "not a valid llama2.c checkpoint");
    }

    @Test
    void forgedHugeHeaderDoesNotAllocate() throws Exception {
        // Every field at its sanity maximum: implies petabytes; must be refused by size, not by OutOfMemoryError.
        loadFails(header(65536, 262144, 1024, 32768, 32768, 4_000_000, 4_000_000), "truncated");
        loadFails(header(64, 172, 5, 8, 4, Integer.MIN_VALUE, 512), "vocab_size");
    }

    @Test
    void inconsistentHeaders() throws Exception {
        loadFails(header(64, 172, 5, 7, 7, 512, 512), "not a multiple of n_heads");
        loadFails(header(64, 172, 5, 8, 3, 512, 512), "not a multiple of n_kv_heads");
        loadFails(header(64, 172, 0, 8, 4, 512, 512), "n_layers = 0");
        loadFails(header(24, 172, 5, 8, 4, 512, 512), "head size 3 is odd");
    }

    @Test
    void truncatedAndOverlongRealModel() throws Exception {
        byte[] real = real();
        loadFails(Arrays.copyOf(real, real.length - 1), "truncated: the header (dim 64, 5 layers, vocab 512) implies 1056540 bytes, the file has 1056539");
        loadFails(Arrays.copyOf(real, real.length + 4), "unexpected trailing data");
    }

    @Test
    void pickleAndGgufAreNamed() throws Exception {
        byte[] pickle = Arrays.copyOf(new byte[] {(byte) 0x80, 2}, 64);
        loadFails(pickle, "unpickling can run code");
        loadFails(Arrays.copyOf("GGUF".getBytes(), 64), "unsupported GGUF version 0");
    }

    @Test
    void tokenizerThatDoesNotMatchTheModel() throws Exception {
        Path llama2 = dev.lowbit.engine.SharedData.require("models/llama2-tokenizer/tokenizer.bin");
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelLoader.load(Golden.MODEL, llama2, 1));
        assertEquals(llama2 + ": has 32000 tokens but the model stories260K.bin has a vocabulary of 512", e.getMessage());
    }

    @Test
    void noTokenizerBesideTheModel() throws Exception {
        Path model = dir.resolve("stories.bin");
        Files.write(model, real());
        ModelFileException e = assertThrows(ModelFileException.class, () -> ModelLoader.load(model, null, 1));
        assertTrue(e.getMessage().contains("no tokenizer found beside it"), e.getMessage());
    }

    @Test
    void badTokenizerFiles() throws Exception {
        byte[] real = Files.readAllBytes(Golden.TOKENIZER);
        Path tok = dir.resolve("tok.bin");
        Files.write(tok, Arrays.copyOf(real, real.length - 2));
        assertTrue(assertThrows(ModelFileException.class, () -> Llama2cTokenizerFile.read(tok)).getMessage().contains("truncated"));
        byte[] forged = real.clone();
        ByteBuffer.wrap(forged).order(ByteOrder.LITTLE_ENDIAN).putInt(8, Integer.MAX_VALUE); // first token's length
        Files.write(tok, forged);
        assertTrue(assertThrows(ModelFileException.class, () -> Llama2cTokenizerFile.read(tok)).getMessage().contains("has length"));
        Files.write(tok, header(0));
        assertTrue(assertThrows(ModelFileException.class, () -> Llama2cTokenizerFile.read(tok)).getMessage().contains("max_token_length"));
    }
}
