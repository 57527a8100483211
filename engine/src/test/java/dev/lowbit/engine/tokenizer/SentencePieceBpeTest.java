package dev.lowbit.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.lowbit.engine.SharedData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SentencePieceBpeTest {
    static final SentencePieceBpe TOK512 = Llama2cTokenizerFile.read(SharedData.require("models/stories260K/tok512.bin"));
    static final SentencePieceBpe LLAMA2 = Llama2cTokenizerFile.read(SharedData.require("models/llama2-tokenizer/tokenizer.bin"));

    @Test
    void encodesTheReferencePrompts() {
        assertArrayEquals(new int[] {1, 403, 407, 261, 378}, TOK512.encode("Once upon a time", true, false));
        assertArrayEquals(new int[] {1, 9038, 2501, 263, 931}, LLAMA2.encode("Once upon a time", true, false));
        assertEquals(32000, LLAMA2.vocabSize());
        assertEquals(512, TOK512.vocabSize());
    }

    @Test
    void decodeInvertsEncodeOnTheTinyStoriesSample() throws Exception {
        String text = Files.readString(SharedData.require("data/tinystories/tinystories_sample.txt"));
        for (SentencePieceBpe tok : new SentencePieceBpe[] {TOK512, LLAMA2}) {
            assertEquals(text, tok.decode(tok.encode(text, true, true)));
            assertEquals(text, tok.decode(tok.encode(text, false, false)));
        }
    }

    @Test
    void unicodeOutsideTheVocabularyRoundTripsThroughByteFallback() {
        String text = "naïve café — 日本語 🙂 e\u0301";
        for (SentencePieceBpe tok : new SentencePieceBpe[] {TOK512, LLAMA2}) {
            assertEquals(text, tok.decode(tok.encode(text, true, false)));
        }
    }

    @Test
    void priorityQueueMergesEqualLlama2cQuadraticLoop() throws Exception {
        String sample = Files.readString(SharedData.require("data/tinyshakespeare/input.txt"));
        SplittableRandom r = new SplittableRandom(17);
        for (int i = 0; i < 300; i++) {
            int start = r.nextInt(sample.length() - 200);
            String text = sample.substring(start, start + 1 + r.nextInt(199));
            for (SentencePieceBpe tok : new SentencePieceBpe[] {TOK512, LLAMA2}) {
                assertArrayEquals(quadraticEncode(tok, text), tok.encode(text, false, false), text);
            }
        }
    }

    /**
     * llama2.c's encode() transcribed: characters (or byte fallback) then, while any adjacent pair forms a
     * piece, merge the pair with the highest score, the leftmost one on ties.
     */
    static int[] quadraticEncode(SentencePieceBpe tok, String text) {
        Map<String, Integer> ids = new HashMap<>();
        for (int i = tok.vocabSize() - 1; i >= 0; i--) ids.put(tok.piece(i), i);
        List<Integer> t = new ArrayList<>();
        String s = " " + text;
        for (int i = 0; i < s.length(); ) {
            int cp = s.codePointAt(i);
            String ch = new String(Character.toChars(cp));
            i += ch.length();
            Integer id = ids.get(ch);
            if (id != null) t.add(id);
            else for (byte b : ch.getBytes(StandardCharsets.UTF_8)) t.add((b & 0xFF) + 3);
        }
        float[] scores = scores(tok);
        while (true) {
            float best = -1e10f;
            int bestId = -1, bestIdx = -1;
            for (int i = 0; i + 1 < t.size(); i++) {
                Integer id = ids.get(tok.piece(t.get(i)) + tok.piece(t.get(i + 1)));
                if (id != null && scores[id] > best) {
                    best = scores[id];
                    bestId = id;
                    bestIdx = i;
                }
            }
            if (bestIdx < 0) break;
            t.set(bestIdx, bestId);
            t.remove(bestIdx + 1);
        }
        return t.stream().mapToInt(Integer::intValue).toArray();
    }

    private static float[] scores(SentencePieceBpe tok) {
        // Scores are read back through the file format: score order is what the merge priority depends on.
        try {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(tok == TOK512
                    ? SharedData.require("models/stories260K/tok512.bin")
                    : SharedData.require("models/llama2-tokenizer/tokenizer.bin"))).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            b.getInt();
            float[] s = new float[tok.vocabSize()];
            for (int i = 0; i < s.length; i++) {
                s[i] = b.getFloat();
                int length = b.getInt();
                b.position(b.position() + length);
            }
            return s;
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void streamingNeverEmitsHalfACharacter() {
        // "é" is C3 A9 and "🙂" F0 9F 99 82: feed them one byte-fallback token at a time (ids = byte + 3).
        TextStream stream = TOK512.newStream();
        assertEquals("", stream.push(0xC3 + 3));
        assertEquals("é", stream.push(0xA9 + 3));
        assertEquals("", stream.push(0xF0 + 3));
        assertEquals("", stream.push(0x9F + 3));
        assertEquals("", stream.push(0x99 + 3));
        assertEquals("🙂", stream.push(0x82 + 3));
        assertEquals("", stream.push(0xE6 + 3));
        assertEquals("\uFFFD", stream.flush()); // an incomplete character at the end is replaced, not dropped
    }

    @Test
    void completePrefixFindsTheLastCompleteCharacter() {
        byte[] b = "aé🙂".getBytes(StandardCharsets.UTF_8); // 1 + 2 + 4 bytes
        assertEquals(7, TextStream.completePrefix(b, 7));
        assertEquals(3, TextStream.completePrefix(b, 6));
        assertEquals(3, TextStream.completePrefix(b, 4));
        assertEquals(1, TextStream.completePrefix(b, 2));
        assertEquals(0, TextStream.completePrefix(new byte[] {(byte) 0xE6}, 1));
    }

    @Test
    void controlTokensDecodeToNothingAndResetTheDummyPrefix() {
        int[] ids = TOK512.encode("Hi", true, true);
        assertEquals(1, ids[0]);
        assertEquals(2, ids[ids.length - 1]);
        int[] twice = new int[ids.length * 2];
        System.arraycopy(ids, 0, twice, 0, ids.length);
        System.arraycopy(ids, 0, twice, ids.length, ids.length);
        assertEquals("HiHi", TOK512.decode(twice));
    }
}
