package dev.lowbit.engine.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.LowbitException;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.chat.ChatMessage;
import dev.lowbit.engine.chat.ChatTemplate;
import dev.lowbit.engine.format.MappedFile;
import dev.lowbit.engine.format.TokenizerFiles;
import dev.lowbit.engine.format.hf.HfModel;
import dev.lowbit.engine.format.hf.SafetensorsFile;
import dev.lowbit.engine.tokenizer.PreTokenizer;
import dev.lowbit.engine.tokenizer.SentencePieceModelFile;
import dev.lowbit.engine.tokenizer.TiktokenFile;
import dev.lowbit.engine.tokenizer.Tokenizer;
import dev.lowbit.engine.tokenizer.VocabMergesFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * One coverage-guided fuzz target per parser of untrusted input (Jazzer). The property: a parser accepts the input
 * or refuses it with the one-line errors the CLI prints ({@link LowbitException}, {@link IllegalArgumentException});
 * anything else (a NullPointerException, an index out of bounds, OutOfMemoryError, a stack overflow, a hang) is a
 * finding. A tokenizer that loads must also encode and decode. Without {@code JAZZER_FUZZ=1} each target runs its
 * committed inputs (src/test/resources/dev/lowbit/engine/fuzz/ParserFuzzTestInputs/TARGET, seeds made by
 * {@link FuzzSeeds} and every finding) as regression tests; {@code scripts/fuzz} fuzzes them.
 */
class ParserFuzzTest {
    private static final String TEXT = "Hello world, ünïcödé ✓ 123\n\t<s> end";

    /** Runs {@code body} on files written into a fresh folder, removed afterwards. */
    private interface InFolder {
        void run(Path dir) throws IOException;
    }

    private static void inFolder(InFolder body) throws IOException {
        Path dir = Files.createTempDirectory("fuzz");
        try {
            body.run(dir);
        } catch (LowbitException | IllegalArgumentException expected) {
            // what bad input deserves: one line naming the problem
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> {
                    try {
                        Files.delete(p);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            }
        }
    }

    private static void load(Path model, Path tokenizer, boolean verify) {
        try (LoadedModel m = ModelLoader.load(model, tokenizer, 1, verify, null)) {
            exercise(m.tokenizer());
        }
    }

    /** What a loaded tokenizer must survive: encoding and decoding a text with every kind of character. */
    private static void exercise(Tokenizer t) {
        int[] ids = t.encode(TEXT, true, true);
        t.decode(ids);
        for (int id = 0; id < Math.min(t.vocabSize(), 300); id++) t.tokenBytes(id, id % 2 == 0);
    }

    @FuzzTest(maxDuration = "60s")
    void gguf(byte[] data) throws IOException {
        inFolder(dir -> load(Files.write(dir.resolve("m.gguf"), data), null, false));
    }

    @FuzzTest(maxDuration = "60s")
    void lowbit(byte[] data) throws IOException {
        inFolder(dir -> load(Files.write(dir.resolve("m.lowbit"), data), null, true));
    }

    /** A llama2.c checkpoint and its tokenizer.bin ({@link Parts}: tokenizer, checkpoint). */
    @FuzzTest(maxDuration = "60s")
    void llama2c(byte[] data) throws IOException {
        byte[][] p = Parts.split(data, 2);
        byte[] tokenizer = p[0], checkpoint = p[1];
        inFolder(dir -> load(Files.write(dir.resolve("m.bin"), checkpoint), Files.write(dir.resolve("tokenizer.bin"), tokenizer), false));
    }

    @FuzzTest(maxDuration = "60s")
    void llama2cTokenizer(byte[] data) throws IOException {
        inFolder(dir -> exercise(TokenizerFiles.read(Files.write(dir.resolve("tokenizer.bin"), data))));
    }

    @FuzzTest(maxDuration = "60s")
    void safetensors(byte[] data) throws IOException {
        inFolder(dir -> {
            try (MappedFile f = MappedFile.open(Files.write(dir.resolve("model.safetensors"), data))) {
                SafetensorsFile.read(f);
            }
        });
    }

    /** A Hugging Face folder ({@link Parts}: config.json, tokenizer_config.json, tokenizer.json, the safetensors index or nothing, a shard). */
    @FuzzTest(maxDuration = "60s")
    void hfFolder(byte[] data) throws IOException {
        byte[][] p = Parts.split(data, 5);
        String config = Parts.text(p[0]), tokConfig = Parts.text(p[1]), tokenizer = Parts.text(p[2]), index = Parts.text(p[3]);
        byte[] shard = p[4];
        inFolder(dir -> {
            Files.writeString(dir.resolve("config.json"), config);
            Files.writeString(dir.resolve("tokenizer_config.json"), tokConfig);
            Files.writeString(dir.resolve("tokenizer.json"), tokenizer);
            if (!index.isEmpty()) Files.writeString(dir.resolve("model.safetensors.index.json"), index);
            Files.write(dir.resolve(index.isEmpty() ? "model.safetensors" : "model-00001-of-00001.safetensors"), shard);
            try (HfModel m = HfModel.read(dir, true)) {
                if (m.tokenizer() != null) exercise(m.tokenizer());
            }
        });
    }

    @FuzzTest(maxDuration = "60s")
    void tokenizerJson(byte[] data) throws IOException {
        inFolder(dir -> exercise(TokenizerFiles.read(Files.write(dir.resolve("tokenizer.json"), data))));
    }

    /** vocab.json and merges.txt ({@link Parts}). */
    @FuzzTest(maxDuration = "60s")
    void vocabMerges(byte[] data) throws IOException {
        byte[][] p = Parts.split(data, 2);
        String vocab = Parts.text(p[0]), merges = Parts.text(p[1]);
        inFolder(dir -> exercise(VocabMergesFiles.read(Files.writeString(dir.resolve("vocab.json"), vocab),
                Files.writeString(dir.resolve("merges.txt"), merges), PreTokenizer.named("gpt2"))));
    }

    @FuzzTest(maxDuration = "60s")
    void sentencePiece(byte[] data) throws IOException {
        inFolder(dir -> exercise(SentencePieceModelFile.read(Files.write(dir.resolve("tokenizer.model"), data))));
    }

    @FuzzTest(maxDuration = "60s")
    void tiktoken(byte[] data) throws IOException {
        inFolder(dir -> exercise(TiktokenFile.llama3(Files.write(dir.resolve("tokenizer.model"), data))));
    }

    /** A template rendered for a conversation of a system, a user and an assistant message ({@link Parts}: the messages, the template). */
    @FuzzTest(maxDuration = "60s")
    void chatTemplate(byte[] data) {
        byte[][] p = Parts.split(data, 4);
        List<ChatMessage> messages = List.of(new ChatMessage("system", Parts.text(p[0])), new ChatMessage("user", Parts.text(p[1])),
                new ChatMessage("assistant", Parts.text(p[2])));
        String source = Parts.text(p[3]);
        try {
            new ChatTemplate("fuzz", source).render(messages, true, "<s>", "</s>");
        } catch (LowbitException | IllegalArgumentException expected) {
            // a template error, or one of its bounds, said in one line
        }
    }
}
