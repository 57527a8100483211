package dev.lowbit.engine.tokenizer;

import com.knuddels.jtokkit.api.IntArrayList;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Byte-level BPE by merge list, as llama.cpp applies it ({@code llm_tokenizer_bpe_session::tokenize} in
 * src/llama-vocab.cpp): a piece, as byte-level text, starts as one symbol per byte; the adjacent pair whose merge
 * ({@code "left right"}) comes first in the list is merged, the leftmost of equal pairs first, until no pair has a
 * merge. Each symbol is then looked up in the vocabulary; one that is not there gives the tokens of its single
 * ASCII characters (llama.cpp's fallback, bytes outside ASCII dropped). With the Llama 3 family of pre-tokenizers
 * ({@link #IGNORE_MERGES}) a piece that is itself a token is that token, merges or not: Llama 3's vocabulary holds
 * tokens that its merges never build.
 */
final class MergeListBpe {
    /** Pre-tokenizers for which llama.cpp sets {@code ignore_merges} (src/llama-vocab.cpp): Llama 3's type and three more. */
    private static final Set<String> IGNORE_MERGES = PreTokenizer.llama3TypeAnd("minicpm5", "youtu", "tekken");

    private final Map<String, Integer> ranks; // "left right" → its index in the merge list (the first, for repeats)
    private final Map<String, Integer> ids;   // token text → id, the last id for repeated texts (as llama.cpp's map)
    private final boolean ignoreMerges;

    /** A candidate merge of the symbols at {@code left} and {@code right}, valid while they still read {@code text}. */
    private record Bigram(int rank, int left, int right, String text) {}

    /** Refuses a merge that is not two tokens of the vocabulary making a third. */
    MergeListBpe(String[] tokens, String[] merges, String preName) {
        ids = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) ids.put(tokens[i], i);
        ranks = new HashMap<>(merges.length * 2);
        for (int m = 0; m < merges.length; m++) {
            int space = merges[m].indexOf(' ', 1);
            if (space < 0) throw new IllegalArgumentException("merge " + m + " '" + merges[m] + "' is not two tokens");
            String left = merges[m].substring(0, space), right = merges[m].substring(space + 1);
            if (!ids.containsKey(left + right) || !ids.containsKey(left) || !ids.containsKey(right)) {
                throw new IllegalArgumentException("merge " + m + " '" + merges[m] + "' uses or makes a token outside the vocabulary");
            }
            ranks.putIfAbsent(merges[m], m);
        }
        ignoreMerges = IGNORE_MERGES.contains(preName);
    }


    /** The ids of one pre-tokenized piece of text. */
    void encode(String piece, IntArrayList out) {
        String word = ByteLevel.encode(piece.getBytes(StandardCharsets.UTF_8));
        if (ignoreMerges) {
            Integer whole = ids.get(word);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        int n = word.length(); // byte-level text: one char per byte
        int[] length = new int[n], prev = new int[n], next = new int[n];
        for (int i = 0; i < n; i++) {
            length[i] = 1;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.rank != b.rank ? Integer.compare(a.rank, b.rank) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) offer(queue, word, i - 1, i, length);
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            if (length[b.left] == 0 || length[b.right] == 0) continue;
            if (length[b.left] + length[b.right] != b.text.length() || next[b.left] != b.right) continue; // outdated
            length[b.left] += length[b.right];
            length[b.right] = 0;
            next[b.left] = next[b.right];
            if (next[b.right] >= 0) prev[next[b.right]] = b.left;
            offer(queue, word, prev[b.left], b.left, length);
            offer(queue, word, b.left, next[b.left], length);
        }
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) { // symbol 0 is never merged away: merges go into the left one
            String symbol = word.substring(i, i + length[i]);
            Integer id = ids.get(symbol);
            if (id != null) {
                out.add(id);
                continue;
            }
            for (byte c : symbol.getBytes(StandardCharsets.UTF_8)) {
                Integer single = c >= 0 ? ids.get(String.valueOf((char) c)) : null;
                if (single != null) out.add(single);
            }
        }
    }

    private void offer(PriorityQueue<Bigram> queue, String word, int left, int right, int[] length) {
        if (left < 0 || right < 0) return;
        String l = word.substring(left, left + length[left]), r = word.substring(right, right + length[right]);
        Integer rank = ranks.get(l + " " + r);
        if (rank != null) queue.add(new Bigram(rank, left, right, l + r));
    }
}
