package dev.lowbit.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * SentencePiece-style BPE driven by piece scores (llama2.c {@code tokenizer.bin}, GGUF {@code llama} vocabularies).
 *
 * <p>Encoding: prepend the dummy-prefix space, map each character to its piece (or to byte-fallback pieces
 * {@code <0xXX>}), then repeatedly merge the adjacent pair whose concatenation is the highest-scoring piece,
 * the leftmost one on ties. A priority queue finds that pair in O(log n) instead of rescanning the text, which
 * gives the same result as llama2.c's quadratic loop.
 */
public final class SentencePieceBpe implements Tokenizer {
    private final String[] pieces;
    private final byte[][] pieceBytes;
    private final float[] scores;
    private final Map<String, Integer> ids;
    private final int[] byteTokens = new int[256];
    private final boolean[] control;
    private final int bos;
    private final int eos;
    private final int unk;
    private final String space;
    private final SpecialTokens specials;
    private final java.util.Set<Integer> endOfTurn;

    /**
     * @param pieces  the vocabulary, in id order
     * @param scores  merge priority per piece (higher merges first)
     * @param control which ids are control tokens (never produced from text, decode to nothing)
     * @param space   how the vocabulary writes a space: {@code " "} (llama2.c) or {@code "\u2581"} (SentencePiece)
     */
    public SentencePieceBpe(String[] pieces, float[] scores, boolean[] control, int bos, int eos, int unk, String space) {
        this(pieces, scores, control, bos, eos, unk, space, SpecialTokens.NONE);
    }

    /** @param specials tokens matched whole in text (control and user-defined tokens of a GGUF vocabulary) */
    public SentencePieceBpe(String[] pieces, float[] scores, boolean[] control, int bos, int eos, int unk, String space,
                            SpecialTokens specials) {
        this.specials = specials;
        this.endOfTurn = specials.endOfTurn();
        if (pieces.length == 0 || scores.length != pieces.length || control.length != pieces.length) {
            throw new IllegalArgumentException("pieces, scores and control flags must have the same non-zero length");
        }
        this.pieces = pieces.clone();
        this.scores = scores.clone();
        this.control = control.clone();
        this.bos = bos;
        this.eos = eos;
        this.unk = unk;
        this.space = space;
        this.pieceBytes = new byte[pieces.length][];
        this.ids = new HashMap<>(pieces.length * 2);
        Arrays.fill(byteTokens, -1);
        for (int i = 0; i < pieces.length; i++) {
            String p = pieces[i];
            ids.putIfAbsent(p, i);
            int b = byteFallbackValue(p);
            if (b >= 0) {
                if (byteTokens[b] < 0) byteTokens[b] = i;
                pieceBytes[i] = new byte[] {(byte) b};
            } else {
                pieceBytes[i] = p.replace(space, " ").getBytes(StandardCharsets.UTF_8);
            }
        }
    }

    /** 0..255 for a piece of the form {@code <0xAB>} (SentencePiece's byte fallback), else -1. */
    static int byteFallbackValue(String p) {
        if (p.length() != 6 || !p.startsWith("<0x") || p.charAt(5) != '>') return -1;
        try {
            return Integer.parseInt(p.substring(3, 5), 16);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    @Override public int vocabSize() { return pieces.length; }
    @Override public int bos() { return bos; }
    @Override public int eos() { return eos; }
    @Override public boolean isControl(int token) { return token >= 0 && token < control.length && control[token]; }
    /** Generating BOS starts a new document, so it ends generation too (as in llama2.c run.c). */
    @Override public boolean isStop(int token) { return token == eos || token == bos || endOfTurn.contains(token); }

    @Override
    public String describe() {
        return "sentencepiece-bpe (" + pieces.length + " tokens)";
    }

    public String piece(int id) {
        return pieces[id];
    }

    public float score(int id) {
        return scores[id];
    }

    public int unk() {
        return unk;
    }

    /** Tokens matched whole in text before BPE. */
    public SpecialTokens specials() {
        return specials;
    }

    /** How this vocabulary writes a space (" " or "\u2581"). */
    public String space() {
        return space;
    }

    @Override
    public byte[] tokenBytes(int token, boolean atStart) {
        if (token < 0 || token >= pieces.length) throw new IllegalArgumentException("token id " + token + " out of range");
        if (control[token]) return new byte[0];
        byte[] b = pieceBytes[token];
        if (atStart && b.length > 0 && b[0] == ' ') return Arrays.copyOfRange(b, 1, b.length);
        return b;
    }

    @Override
    public String tokenText(int token) {
        return pieces[token];
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean addEos) {
        int[] out = new int[text.length() * 8 + 8]; // ≤ 4 byte tokens per char, plus a prefix per stretch
        int[] n = {0};
        if (addBos && bos >= 0) out[n[0]++] = bos;
        // As llama.cpp does, every stretch of text that starts the input or follows a special token gets the dummy prefix.
        specials.split(text, piece -> n[0] = encodeText(piece, out, n[0]), id -> out[n[0]++] = id);
        if (addEos && eos >= 0) out[n[0]++] = eos;
        return Arrays.copyOf(out, n[0]);
    }

    /** Appends the tokens of plain {@code text} at {@code symbols[n..]}; returns the new end. */
    private int encodeText(String text, int[] symbols, int n) {
        if (text.isEmpty()) return n;
        int first = n;
        String normalized = space + text.replace(" ", space);
        for (int i = 0; i < normalized.length(); ) {
            int cp = normalized.codePointAt(i);
            String ch = normalized.substring(i, i + Character.charCount(cp));
            i += ch.length();
            Integer id = ids.get(ch);
            if (id != null && !control[id]) {
                symbols[n++] = id;
            } else {
                for (byte b : ch.getBytes(StandardCharsets.UTF_8)) {
                    int bt = byteTokens[b & 0xFF] >= 0 ? byteTokens[b & 0xFF] : unk;
                    if (bt < 0) {
                        throw new IllegalArgumentException("the vocabulary cannot encode '" + ch + "': it has neither a byte token for it nor <unk>");
                    }
                    symbols[n++] = bt;
                }
            }
        }
        return mergePairs(symbols, first, n);
    }

    /** A candidate merge of symbol {@code left} with its right neighbour into piece {@code id}. */
    private record Merge(float score, int left, int leftId, int rightId, int id) {}

    /** Merges symbols[from..to) in place; returns the new end. */
    private int mergePairs(int[] symbols, int from, int to) {
        int n = to - from;
        if (n < 2) return to;
        int[] tok = Arrays.copyOfRange(symbols, from, to);
        int[] next = new int[n];
        int[] prev = new int[n];
        for (int i = 0; i < n; i++) {
            next[i] = i + 1 < n ? i + 1 : -1;
            prev[i] = i - 1;
        }
        PriorityQueue<Merge> queue = new PriorityQueue<>(
                (a, b) -> a.score != b.score ? Float.compare(b.score, a.score) : Integer.compare(a.left, b.left));
        for (int i = 0; i + 1 < n; i++) offer(queue, tok, i, i + 1);
        while (!queue.isEmpty()) {
            Merge m = queue.poll();
            int right = next[m.left];
            // Stale when either side has changed since the candidate was queued.
            if (tok[m.left] != m.leftId || right < 0 || tok[right] != m.rightId) continue;
            tok[m.left] = m.id;
            tok[right] = -1;
            next[m.left] = next[right];
            if (next[right] >= 0) prev[next[right]] = m.left;
            if (prev[m.left] >= 0) offer(queue, tok, prev[m.left], m.left);
            if (next[m.left] >= 0) offer(queue, tok, m.left, next[m.left]);
        }
        int out = from;
        for (int i = 0; i >= 0; i = next[i]) symbols[out++] = tok[i];
        return out;
    }

    private void offer(PriorityQueue<Merge> queue, int[] tok, int left, int right) {
        Integer id = ids.get(pieces[tok[left]] + pieces[tok[right]]);
        if (id != null && !control[id]) queue.add(new Merge(scores[id], left, tok[left], tok[right], id));
    }
}
