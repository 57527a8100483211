package dev.lowbit.engine.tokenizer;

import com.knuddels.jtokkit.api.IntArrayList;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Byte-level BPE by merge list, as llama.cpp applies it ({@code llm_tokenizer_bpe_session::tokenize} in
 * src/llama-vocab.cpp): a piece, as byte-level text, starts as one symbol per byte and is merged by {@link BpeMerges}.
 * Each symbol is then looked up in the vocabulary; one that is not there gives the tokens of its single ASCII characters (llama.cpp's fallback, bytes outside ASCII dropped). With the Llama 3 family of pre-tokenizers
 * ({@link #IGNORE_MERGES}) a piece that is itself a token is that token, merges or not: Llama 3's vocabulary holds
 * tokens that its merges never build.
 */
final class MergeListBpe {
    /** Pre-tokenizers for which llama.cpp sets {@code ignore_merges} (src/llama-vocab.cpp): Llama 3's type and three more. */
    private static final Set<String> IGNORE_MERGES = PreTokenizer.llama3TypeAnd("minicpm5", "youtu", "tekken");

    private final BpeMerges merges;
    private final Map<String, Integer> ids;   // token text → id, the last id for repeated texts (as llama.cpp's map)
    private final boolean ignoreMerges;

    /** Refuses a merge that is not two tokens of the vocabulary making a third. */
    MergeListBpe(String[] tokens, String[] merges, String preName) {
        ids = new HashMap<>(tokens.length * 2);
        for (int i = 0; i < tokens.length; i++) ids.put(tokens[i], i);
        for (int m = 0; m < merges.length; m++) {
            String[] pair = BpeMerges.pair(merges, m);
            if (!ids.containsKey(pair[0] + pair[1]) || !ids.containsKey(pair[0]) || !ids.containsKey(pair[1])) {
                throw new IllegalArgumentException("merge " + m + " '" + merges[m] + "' uses or makes a token outside the vocabulary");
            }
        }
        this.merges = new BpeMerges(merges);
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
        String[] bytes = new String[word.length()]; // byte-level text: one char per byte, one symbol each
        for (int i = 0; i < bytes.length; i++) bytes[i] = String.valueOf(word.charAt(i));
        for (String symbol : merges.apply(bytes)) {
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
}
