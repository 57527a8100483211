package dev.lowbit.engine.tokenizer;

import com.knuddels.jtokkit.api.IntArrayList;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * SentencePiece-style BPE by merge list (Gemma 4's tokenizer model {@code gemma4}), as llama.cpp runs it
 * (src/llama-vocab.cpp, {@code LLAMA_VOCAB_PRE_TYPE_GEMMA4}): text is raw UTF-8 with every space written ▁ (no
 * byte-level alphabet, no dummy prefix); it is cut only into runs of newlines and runs of anything else; a run of
 * newlines that is a token is that token; otherwise each character starts as a symbol and the adjacent pair whose merge
 * comes first in the list is merged, the leftmost of equal pairs first. A symbol that is not a token gives the
 * {@code <0xXX>} tokens of its bytes. Control and user-defined tokens are matched whole in the text first.
 */
public final class EscapedSpaceBpe implements Tokenizer {
    private static final String SPACE = "\u2581";

    private final String[] tokens;
    private final Map<String, Integer> ids = new HashMap<>();   // token text → id (the last, as llama.cpp's map)
    private final BpeMerges merges;
    private final int[] byteTokens = new int[256];
    private final boolean[] control, userDefined, byteToken;
    private final SpecialTokens specials;
    private final int bos, eos;
    private final Set<Integer> stops;

    /**
     * @param types llama.cpp's token types (1 normal, 3 control, 4 user-defined, 6 byte {@code <0xXX>})
     * @param bos   the BOS id put before a prompt, or -1
     */
    public EscapedSpaceBpe(String[] tokens, long[] types, String[] merges, int bos, int eos, Set<Integer> stops) {
        if (types.length != tokens.length) throw new IllegalArgumentException(types.length + " token types for " + tokens.length + " tokens");
        this.tokens = tokens.clone();
        this.control = new boolean[tokens.length];
        this.userDefined = new boolean[tokens.length];
        this.byteToken = new boolean[tokens.length];
        java.util.Arrays.fill(byteTokens, -1);
        Map<String, Integer> special = new HashMap<>();
        for (int i = 0; i < tokens.length; i++) {
            ids.put(tokens[i], i);
            control[i] = types[i] == 3;
            userDefined[i] = types[i] == 4;
            if (control[i] || userDefined[i]) special.putIfAbsent(tokens[i], i);
            int b = SentencePieceBpe.byteFallbackValue(tokens[i]);
            if (types[i] == 6 && b >= 0) {
                byteToken[i] = true;
                if (byteTokens[b] < 0) byteTokens[b] = i;
            }
        }
        this.merges = new BpeMerges(merges);
        this.specials = SpecialTokens.of(special);
        this.bos = bos;
        this.eos = eos;
        this.stops = Set.copyOf(stops);
    }

    @Override public int vocabSize() { return tokens.length; }
    @Override public int bos() { return bos; }
    @Override public int eos() { return eos; }
    @Override public boolean isStop(int token) { return stops.contains(token); }
    @Override public boolean isControl(int token) { return token >= 0 && token < control.length && control[token]; }
    @Override public String tokenText(int token) { return tokens[token]; }

    @Override
    public String describe() {
        return "escaped-space BPE (" + tokens.length + " tokens, " + merges.size() + " merges)";
    }

    @Override
    public byte[] tokenBytes(int token, boolean atStart) {
        if (control[token]) return new byte[0];
        if (byteToken[token]) return new byte[] {(byte) SentencePieceBpe.byteFallbackValue(tokens[token])};
        String text = userDefined[token] ? tokens[token] : tokens[token].replace(SPACE, " ");
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean addEos) {
        IntArrayList out = new IntArrayList();
        if (addBos && bos >= 0) out.add(bos);
        specials.split(text, plain -> encodeText(plain, out), out::add);
        if (addEos && eos >= 0) out.add(eos);
        return out.toArray();
    }

    /** Plain text (no special tokens): spaces escaped, then runs of newlines and runs of the rest, each merged on its own. */
    private void encodeText(String text, IntArrayList out) {
        String escaped = text.replace(" ", SPACE);
        int start = 0;
        while (start < escaped.length()) {
            boolean newlines = escaped.charAt(start) == '\n';
            int end = start;
            while (end < escaped.length() && (escaped.charAt(end) == '\n') == newlines) end++;
            String run = escaped.substring(start, end);
            Integer whole = newlines ? ids.get(run) : null;
            if (whole != null) out.add(whole);
            else merge(run, out);
            start = end;
        }
    }

    /** Each character a symbol, merged ({@link BpeMerges}); a symbol that is not a token gives its bytes' {@code <0xXX>} tokens. */
    private void merge(String word, IntArrayList out) {
        for (String symbol : merges.apply(word.codePoints().mapToObj(Character::toString).toArray(String[]::new))) {
            Integer id = ids.get(symbol);
            if (id != null) {
                out.add(id);
                continue;
            }
            for (byte c : symbol.getBytes(StandardCharsets.UTF_8)) {
                int t = byteTokens[c & 0xff];
                if (t >= 0) out.add(t);
            }
        }
    }
}
