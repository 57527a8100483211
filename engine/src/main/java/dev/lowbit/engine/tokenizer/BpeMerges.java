package dev.lowbit.engine.tokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * A merge list applied as llama.cpp applies it ({@code llm_tokenizer_bpe_session::tokenize} in src/llama-vocab.cpp):
 * the adjacent pair of symbols whose merge ({@code "left right"}) comes first in the list is merged, the leftmost of
 * equal pairs first, until no pair has a merge. Byte-level vocabularies ({@link MergeListBpe}) and Gemma 4's
 * escaped-space one ({@link EscapedSpaceBpe}) differ in their symbols and in what a symbol that is not a token
 * becomes, not in this.
 */
final class BpeMerges {
    private final Map<String, Integer> ranks; // "left right" → its index in the merge list (the first, for repeats)

    /** A candidate merge of the symbols at {@code left} and {@code right}, valid while they still read {@code text}. */
    private record Bigram(int rank, int left, int right, String text) {}

    BpeMerges(String[] merges) {
        ranks = new HashMap<>(merges.length * 2);
        for (int m = 0; m < merges.length; m++) {
            pair(merges, m);
            ranks.putIfAbsent(merges[m], m);
        }
    }

    /** Merge {@code m}'s two tokens, split as llama.cpp does at the first space after its first character. */
    static String[] pair(String[] merges, int m) {
        int space = merges[m].indexOf(' ', 1);
        if (space < 0) throw new IllegalArgumentException("merge " + m + " '" + merges[m] + "' is not two tokens");
        return new String[] {merges[m].substring(0, space), merges[m].substring(space + 1)};
    }

    int size() {
        return ranks.size();
    }

    /** What {@code symbols} (one piece's starting symbols, in order) merge into, in order. */
    List<String> apply(String[] symbols) {
        int n = symbols.length;
        String[] symbol = symbols.clone();
        int[] prev = new int[n], next = new int[n];
        for (int i = 0; i < n; i++) {
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        PriorityQueue<Bigram> queue = new PriorityQueue<>((a, b) -> a.rank != b.rank ? Integer.compare(a.rank, b.rank) : Integer.compare(a.left, b.left));
        for (int i = 1; i < n; i++) offer(queue, symbol, i - 1, i);
        while (!queue.isEmpty()) {
            Bigram b = queue.poll();
            if (symbol[b.left] == null || symbol[b.right] == null || next[b.left] != b.right) continue;
            if (!(symbol[b.left] + symbol[b.right]).equals(b.text)) continue; // outdated
            symbol[b.left] = b.text;
            symbol[b.right] = null;
            next[b.left] = next[b.right];
            if (next[b.right] >= 0) prev[next[b.right]] = b.left;
            offer(queue, symbol, prev[b.left], b.left);
            offer(queue, symbol, b.left, next[b.left]);
        }
        List<String> out = new ArrayList<>();
        for (int i = n > 0 ? 0 : -1; i >= 0; i = next[i]) out.add(symbol[i]); // symbol 0 is never merged away: merges go left
        return out;
    }

    private void offer(PriorityQueue<Bigram> queue, String[] symbol, int left, int right) {
        if (left < 0 || right < 0) return;
        Integer rank = ranks.get(symbol[left] + " " + symbol[right]);
        if (rank != null) queue.add(new Bigram(rank, left, right, symbol[left] + symbol[right]));
    }
}
