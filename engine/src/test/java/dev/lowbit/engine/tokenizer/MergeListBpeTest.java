package dev.lowbit.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.knuddels.jtokkit.api.IntArrayList;
import org.junit.jupiter.api.Test;

/** The merge loop on vocabularies small enough to work out by hand. */
class MergeListBpeTest {
    // ids:                              0    1    2    3     4     5      6     7      8
    private static final String[] TOKENS = {"a", "b", "c", "ab", "bc", "abc", "cab", "Ġa", "Ġ"};

    private static int[] encode(String[] merges, String pre, String piece) {
        IntArrayList out = new IntArrayList();
        new MergeListBpe(TOKENS, merges, pre).encode(piece, out);
        return out.toArray();
    }

    @Test
    void theEarliestMergeWinsNotTheLongestToken() {
        // "abc": merges "b c" (rank 0) before "a b" (rank 1), so b+c first, then nothing joins a and bc.
        assertArrayEquals(new int[] {0, 4}, encode(new String[] {"b c", "a b", "ab c"}, "gpt-2", "abc"));
        // With "a b" first: ab, then "ab c" → abc.
        assertArrayEquals(new int[] {5}, encode(new String[] {"a b", "b c", "ab c"}, "gpt-2", "abc"));
    }

    @Test
    void equalPairsMergeLeftmostFirst() {
        // "abab" with only "a b": both pairs have rank 0; the left one merges first, then the right one.
        assertArrayEquals(new int[] {3, 3}, encode(new String[] {"a b"}, "gpt-2", "abab"));
        // "aba" with "a b" and "b a"(absent from the vocabulary's merges): only a+b, leftmost.
        assertArrayEquals(new int[] {3, 0}, encode(new String[] {"a b"}, "gpt-2", "aba"));
    }

    @Test
    void aPieceThatIsATokenIsThatTokenOnlyWhereLlamaCppIgnoresMerges() {
        // "cab" is in the vocabulary but no merge builds it: Llama 3's pre-tokenizer takes it whole, GPT-2's does not.
        String[] merges = {"a b"};
        assertArrayEquals(new int[] {6}, encode(merges, "llama-bpe", "cab"));
        assertArrayEquals(new int[] {2, 3}, encode(merges, "gpt-2", "cab"));
    }

    @Test
    void spacesAreByteLevelAndUnknownSymbolsFallBackToAsciiTokens() {
        // " a" is "Ġa" in byte-level text: one merge makes it.
        assertArrayEquals(new int[] {7}, encode(new String[] {"Ġ a"}, "gpt-2", " a"));
        // "d" is not in the vocabulary and is ASCII without a token: dropped, as llama.cpp drops it.
        assertArrayEquals(new int[] {0, 1}, encode(new String[] {}, "gpt-2", "adb"));
    }
}
