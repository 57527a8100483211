package dev.lowbit.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.ModelFileException;
import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.format.TokenizerFiles;
import dev.lowbit.engine.format.gguf.LlamaCppVocabTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Llama 2's original SentencePiece protobuf {@code tokenizer.model}. */
class SentencePieceModelFileTest {
    static final Path MODEL = SharedData.require("models/llama2-tokenizer/tokenizer.model");

    @Test
    void llama2ModelFileTokenizesAsLlamaCpp() throws Exception {
        Tokenizer t = TokenizerFiles.read(MODEL);
        assertEquals(32000, t.vocabSize());
        assertArrayEquals(new int[] {1, 9038, 2501, 263, 931}, t.encode("Once upon a time", true, false)); // SOURCES.md
        LlamaCppVocabTest.check(t, "llama-spm");
    }

    @Test
    void truncatedOrForeignFilesAreOneLine(@TempDir Path dir) throws Exception {
        byte[] real = Files.readAllBytes(MODEL);
        Path cut = dir.resolve("cut.model");
        Files.write(cut, Arrays.copyOf(real, real.length / 3));
        ModelFileException e = assertThrows(ModelFileException.class, () -> SentencePieceModelFile.read(cut));
        assertTrue(e.getMessage().startsWith(cut + ": not a valid SentencePiece model"), e.getMessage());
        Path junk = dir.resolve("junk.model");
        Files.write(junk, new byte[] {0x0A, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F});
        e = assertThrows(ModelFileException.class, () -> SentencePieceModelFile.read(junk));
        assertTrue(e.getMessage().contains("runs past its message"), e.getMessage());
    }
}
