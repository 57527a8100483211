package dev.lowbit.engine.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.format.gguf.GgufFile;
import dev.lowbit.engine.format.gguf.GgufTokenizer;
import dev.lowbit.engine.format.gguf.LlamaCppVocabTest;
import dev.lowbit.engine.json.Json;
import dev.lowbit.engine.json.JsonObject;
import dev.lowbit.engine.tokenizer.PreTokenizer;
import dev.lowbit.engine.tokenizer.TiktokenFile;
import dev.lowbit.engine.tokenizer.Tokenizer;
import dev.lowbit.engine.tokenizer.VocabMergesFiles;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** Tokenizers survive the trip through a .lowbit header: the restored ones still pass llama.cpp's vectors. */
class TokenizerJsonTest {
    static Tokenizer roundTrip(Tokenizer t) {
        return TokenizerJson.read(JsonObject.of(Json.parse(Json.write(TokenizerJson.write(t))), "tokenizer"));
    }

    @Test
    void byteLevelFromMergesAndFromRanks() throws Exception {
        Path qwen = SharedData.require("models/tokenizers/qwen2.5");
        LlamaCppVocabTest.check(roundTrip(VocabMergesFiles.read(qwen.resolve("vocab.json"), qwen.resolve("merges.txt"),
                PreTokenizer.named("qwen2"))), "qwen2");
        Tokenizer llama3 = roundTrip(TiktokenFile.llama3(SharedData.require("models/tokenizers/llama3/tokenizer.model")));
        LlamaCppVocabTest.check(llama3, "llama-bpe");
        assertArrayEquals(new int[] {128000, 128006}, llama3.encode("<|start_header_id|>", true, false));
    }

    @Test
    void sentencePieceWithSpecialTokens() throws Exception {
        try (MappedFile f = MappedFile.open(SharedData.require("models/gguf-vocab/ggml-vocab-phi-3.gguf"))) {
            Tokenizer phi = GgufTokenizer.from(GgufFile.read(f));
            Tokenizer back = roundTrip(phi);
            LlamaCppVocabTest.check(back, "phi-3");
            String chat = "<|user|>\nHi<|end|>\n<|assistant|>\n";
            assertArrayEquals(phi.encode(chat, true, false), back.encode(chat, true, false));
            // Phi-3 ends a turn with <|end|> (id 32007) while its metadata names <|endoftext|> as EOS.
            assertArrayEquals(new int[] {32007}, phi.encode("<|end|>", false, false));
            org.junit.jupiter.api.Assertions.assertTrue(phi.isStop(32007) && back.isStop(32007) && !phi.isStop(32010));
        }
    }
}
