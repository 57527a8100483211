package dev.lowbit.engine.format.hf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.json.Json;
import dev.lowbit.engine.json.JsonObject;
import dev.lowbit.engine.tokenizer.ByteLevelBpe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Qwen2.5's tokenizer as a tokenizer.json (its vocabulary, merges, added tokens and split expression). */
class HfTokenizerJsonTest {

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') sb.append('\\').append(c);
            else if (c < 0x20) sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        return sb.append('"').toString();
    }

    static ByteLevelBpe qwen() throws Exception {
        Path dir = SharedData.require("models/tokenizers/qwen2.5");
        StringBuilder merges = new StringBuilder();
        for (String line : Files.readAllLines(dir.resolve("merges.txt"))) {
            if (line.isEmpty() || line.startsWith("#version")) continue;
            merges.append(merges.isEmpty() ? "" : ",").append(quote(line));
        }
        // Qwen2.5's own pre-tokenizer expression, as its tokenizer.json writes it.
        String regex = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
        String json = "{\"version\":\"1.0\",\"added_tokens\":[{\"id\":151643,\"content\":\"<|endoftext|>\",\"special\":true},"
                + "{\"id\":151644,\"content\":\"<|im_start|>\",\"special\":true},{\"id\":151645,\"content\":\"<|im_end|>\",\"special\":true}],"
                + "\"pre_tokenizer\":{\"type\":\"Sequence\",\"pretokenizers\":[{\"type\":\"Split\",\"pattern\":{\"Regex\":" + quote(regex)
                + "},\"behavior\":\"Isolated\",\"invert\":false},{\"type\":\"ByteLevel\",\"add_prefix_space\":false,\"trim_offsets\":false,\"use_regex\":false}]},"
                + "\"model\":{\"type\":\"BPE\",\"byte_fallback\":false,\"vocab\":" + Files.readString(dir.resolve("vocab.json"))
                + ",\"merges\":[" + merges + "]}}";
        return (ByteLevelBpe) HfTokenizerJson.parse(JsonObject.of(Json.parse(json), "tokenizer.json"), "qwen2.5", -1, 151645, Set.of(151643));
    }

    @Test
    void passesLlamaCppVectorsAndSplitsSpecialTokens() throws Exception {
        ByteLevelBpe t = qwen();
        dev.lowbit.engine.format.gguf.LlamaCppVocabTest.check(t, "qwen2");
        int[] ids = t.encode("<|im_start|>user\nHi<|im_end|>", false, false);
        assertEquals(151644, ids[0]);
        assertEquals(151645, ids[ids.length - 1]);
        assertArrayEquals(t.encode("user\nHi", false, false), java.util.Arrays.copyOfRange(ids, 1, ids.length - 1));
        assertTrue(t.isStop(151645) && t.isStop(151643));
        assertEquals("user\nHi", t.decode(ids)); // special tokens decode to nothing
    }

    @Test
    void streamingNeverEmitsHalfACharacter() throws Exception {
        ByteLevelBpe t = qwen();
        String text = "Llamas 🦙 and emoji 😶‍🌫️ in 你好世界, Ελληνικά.";
        int[] ids = t.encode(text, false, false);
        dev.lowbit.engine.tokenizer.TextStream stream = t.newStream();
        StringBuilder sb = new StringBuilder();
        int partial = 0;
        for (int id : ids) {
            String piece = stream.push(id);
            if (piece.isEmpty()) partial++;
            assertTrue(!piece.contains("\uFFFD"), "piece " + piece);
            sb.append(piece);
        }
        sb.append(stream.flush());
        assertEquals(text, sb.toString());
        assertTrue(partial > 0, "some tokens end inside a character, so the test exercises the buffering");
    }

    /**
     * Llama 2's vocabulary written as transformers' converter writes a SentencePiece model into tokenizer.json: each
     * piece's merges from every split into two pieces, ordered by the merged piece's score, byte fallback on. It must
     * tokenize as llama.cpp does.
     */
    @Test
    void sentencePieceStyleTokenizerJson() throws Exception {
        String[] pieces;
        long[] types;
        float[] scores;
        try (dev.lowbit.engine.format.MappedFile f = dev.lowbit.engine.format.MappedFile.open(
                SharedData.require("models/gguf-vocab/ggml-vocab-llama-spm.gguf"))) {
            var gguf = dev.lowbit.engine.format.gguf.GgufFile.read(f);
            pieces = gguf.require("tokenizer.ggml.tokens", String[].class);
            types = gguf.require("tokenizer.ggml.token_type", long[].class);
            scores = gguf.require("tokenizer.ggml.scores", float[].class);
        }
        java.util.Map<String, Integer> ids = new java.util.HashMap<>();
        for (int i = 0; i < pieces.length; i++) ids.putIfAbsent(pieces[i], i);
        java.util.List<int[]> merges = new java.util.ArrayList<>();
        for (int id = 0; id < pieces.length; id++) {
            if (types[id] != 1) continue;
            String p = pieces[id];
            for (int cut = 1; cut < p.length(); cut++) {
                if (Character.isLowSurrogate(p.charAt(cut))) continue;
                Integer l = ids.get(p.substring(0, cut)), r = ids.get(p.substring(cut));
                if (l != null && r != null) merges.add(new int[] {id, l, r});
            }
        }
        merges.sort(java.util.Comparator.<int[]>comparingDouble(m -> -scores[m[0]]).thenComparingInt(m -> m[1]).thenComparingInt(m -> m[2]));
        StringBuilder json = new StringBuilder("{\"added_tokens\":[{\"id\":0,\"content\":\"<unk>\",\"special\":true},"
                + "{\"id\":1,\"content\":\"<s>\",\"special\":true},{\"id\":2,\"content\":\"</s>\",\"special\":true}],"
                + "\"pre_tokenizer\":null,\"model\":{\"type\":\"BPE\",\"byte_fallback\":true,\"vocab\":{");
        for (int i = 0; i < pieces.length; i++) json.append(i == 0 ? "" : ",").append(quote(pieces[i])).append(':').append(i);
        json.append("},\"merges\":[");
        for (int i = 0; i < merges.size(); i++) {
            json.append(i == 0 ? "" : ",").append(quote(pieces[merges.get(i)[1]] + " " + pieces[merges.get(i)[2]]));
        }
        json.append("]}}");
        var t = HfTokenizerJson.parse(JsonObject.of(Json.parse(json.toString()), "tokenizer.json"), "llama2", 1, 2, Set.of());
        dev.lowbit.engine.format.gguf.LlamaCppVocabTest.check(t, "llama-spm");
        assertArrayEquals(new int[] {1, 15043, 2}, t.encode("Hello", true, true));
    }
}
