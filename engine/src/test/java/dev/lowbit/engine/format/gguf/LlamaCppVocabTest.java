package dev.lowbit.engine.format.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.format.MappedFile;
import dev.lowbit.engine.tokenizer.PreTokenizer;
import dev.lowbit.engine.tokenizer.TiktokenFile;
import dev.lowbit.engine.tokenizer.Tokenizer;
import dev.lowbit.engine.tokenizer.VocabMergesFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * llama.cpp's own tokenizer test vectors ({@code models/ggml-vocab-*.gguf.inp/.out}): every input string must
 * encode (no BOS) to exactly the ids llama.cpp's tokenizer produced.
 */
public class LlamaCppVocabTest {

    /** The test strings: separated by lines {@code __ggml_vocab_test__}. */
    static List<String> inputs(Path inp) throws IOException {
        String text = Files.readString(inp);
        List<String> cases = new ArrayList<>(Arrays.asList(text.split("\n__ggml_vocab_test__\n", -1)));
        if (!cases.isEmpty() && cases.getLast().isEmpty()) cases.removeLast();
        return cases;
    }

    static List<int[]> outputs(Path out) throws IOException {
        List<int[]> ids = new ArrayList<>();
        for (String line : Files.readAllLines(out)) {
            String t = line.trim();
            ids.add(t.isEmpty() ? new int[0] : Arrays.stream(t.split(" +")).mapToInt(Integer::parseInt).toArray());
        }
        return ids;
    }

    public static void check(Tokenizer tokenizer, String vocab) throws IOException {
        Path dir = SharedData.require("models/gguf-vocab");
        List<String> in = inputs(dir.resolve("ggml-vocab-" + vocab + ".gguf.inp"));
        List<int[]> expected = outputs(dir.resolve("ggml-vocab-" + vocab + ".gguf.out"));
        assertEquals(expected.size(), in.size(), "cases in .inp and .out");
        assertTrue(in.size() >= 40, in.size() + " cases");
        List<String> failures = new ArrayList<>();
        for (int i = 0; i < in.size(); i++) {
            int[] got = tokenizer.encode(in.get(i), false, false);
            if (!Arrays.equals(expected.get(i), got)) {
                failures.add("case " + i + " " + Arrays.toString(in.get(i).codePoints().limit(40).toArray()) + ": expected "
                        + Arrays.toString(expected.get(i)) + ", got " + Arrays.toString(got));
            }
        }
        assertEquals(List.of(), failures, vocab + ": " + failures.size() + " of " + in.size() + " cases differ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-spm", "phi-3", "gpt-2", "falcon", "mpt", "starcoder", "refact", "deepseek-coder", "deepseek-llm",
            "llama-bpe", "qwen2", "command-r", "qwen35", "gemma-4"})
    void ggufVocabularies(String vocab) throws IOException {
        try (MappedFile f = MappedFile.open(SharedData.require("models/gguf-vocab/ggml-vocab-" + vocab + ".gguf"))) {
            check(GgufTokenizer.from(GgufFile.read(f)), vocab);
        }
    }

    /**
     * Whether a prompt starts with BOS, by llama.cpp's rule (src/llama-vocab.cpp): SentencePiece vocabularies yes,
     * byte-level ones only after Llama 3's pre-tokenizer, unless {@code tokenizer.ggml.add_bos_token} says otherwise
     * (llama-spm, phi-3, deepseek-*, command-r set it to true). Qwen2 and GPT-2 files name a BOS id and get none.
     */
    @ParameterizedTest
    @CsvSource({"llama-spm,true", "phi-3,true", "gpt-2,false", "falcon,false", "mpt,false", "starcoder,false", "refact,false",
            "deepseek-coder,true", "deepseek-llm,true", "llama-bpe,true", "qwen2,false", "command-r,true", "qwen35,false", "gemma-4,true"})
    void bosFollowsLlamaCppsRule(String vocab, boolean bos) throws IOException {
        try (MappedFile f = MappedFile.open(SharedData.require("models/gguf-vocab/ggml-vocab-" + vocab + ".gguf"))) {
            Tokenizer t = GgufTokenizer.from(GgufFile.read(f));
            int[] ids = t.encode("Hello world", true, false), plain = t.encode("Hello world", false, false);
            assertEquals(bos ? plain.length + 1 : plain.length, ids.length, vocab);
            if (bos) assertEquals(t.bos(), ids[0], vocab);
        }
    }

    /** Gemma 4's tokens decode to the text they came from: ▁ back to spaces, {@code <0xXX>} back to bytes. */
    @Test
    void gemma4DecodesWhatItEncodes() throws IOException {
        Path dir = SharedData.require("models/gguf-vocab");
        try (MappedFile f = MappedFile.open(dir.resolve("ggml-vocab-gemma-4.gguf"))) {
            Tokenizer t = GgufTokenizer.from(GgufFile.read(f));
            for (String text : inputs(dir.resolve("ggml-vocab-gemma-4.gguf.inp"))) assertEquals(text, t.decode(t.encode(text, false, false)));
            int[] bytes = t.encode("\u0378", false, false); // an unassigned code point no token holds: its UTF-8 bytes
            assertEquals("<0xCD> <0xB8>", t.tokenText(bytes[0]) + " " + t.tokenText(bytes[1]));
            assertEquals("\u0378", t.decode(bytes));
        }
    }

    @Test
    void llama3FromItsTiktokenFile() throws IOException {
        check(TiktokenFile.llama3(SharedData.require("models/tokenizers/llama3/tokenizer.model")), "llama-bpe");
    }

    @Test
    void qwen2FromVocabAndMerges() throws IOException {
        Path dir = SharedData.require("models/tokenizers/qwen2.5");
        check(VocabMergesFiles.read(dir.resolve("vocab.json"), dir.resolve("merges.txt"), PreTokenizer.named("qwen2")), "qwen2");
        // The vectors tell pre-tokenizers apart: GPT-2's splitting of the same vocabulary fails them.
        assertThrows(AssertionError.class, () -> check(VocabMergesFiles.read(dir.resolve("vocab.json"), dir.resolve("merges.txt"),
                PreTokenizer.named("gpt-2")), "qwen2"));
    }
}
