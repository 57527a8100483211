package dev.lowbit.engine.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.format.TokenizerFiles;
import dev.lowbit.engine.tokenizer.SentencePieceModelFile;
import dev.lowbit.engine.tokenizer.TiktokenFile;
import dev.lowbit.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The committed seeds are valid files, so that fuzzing starts deep in each parser rather than at its magic number. */
class FuzzSeedsTest {
    @TempDir Path dir;

    private Path seed(String target, String file) throws IOException {
        try (InputStream in = FuzzSeedsTest.class.getResourceAsStream("ParserFuzzTestInputs/" + target + "/seed")) {
            Path p = dir.resolve(file);
            Files.write(p, in.readAllBytes());
            return p;
        }
    }

    private static void roundTrips(Tokenizer t, String text) {
        assertEquals(text, t.decode(t.encode(text, false, false)));
    }

    @Test
    void modelSeedsLoadAndRun() throws IOException {
        for (String[] f : new String[][] {{"gguf", "m.gguf"}, {"lowbit", "m.lowbit"}}) {
            try (LoadedModel m = ModelLoader.load(seed(f[0], f[1]), null, 1, true, null)) {
                assertEquals(40, m.tokenizer().vocabSize(), f[0]);
                assertEquals(32, m.model().config().dim(), f[0]);
            }
        }
        byte[][] p = Parts.split(Files.readAllBytes(seed("llama2c", "both")), 2);
        Path tok = Files.write(dir.resolve("tokenizer.bin"), p[0]), bin = Files.write(dir.resolve("m.bin"), p[1]);
        try (LoadedModel m = ModelLoader.load(bin, tok, 1)) {
            assertEquals(32, m.model().config().dim());
        }
    }

    @Test
    void tokenizerSeedsRead() throws IOException {
        roundTrips(TokenizerFiles.read(seed("llama2cTokenizer", "tokenizer.bin")), "the neat tea");
        roundTrips(SentencePieceModelFile.read(seed("sentencePiece", "tokenizer.model")), "the neat tea");
        roundTrips(TiktokenFile.llama3(seed("tiktoken", "tokenizer.model")), "the neat tea");
        Tokenizer json = TokenizerFiles.read(seed("tokenizerJson", "tokenizer.json"));
        assertTrue(json.vocabSize() >= 8);
        roundTrips(json, "abc ab");
    }
}
