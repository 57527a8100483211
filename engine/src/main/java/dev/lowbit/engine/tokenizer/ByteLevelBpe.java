package dev.lowbit.engine.tokenizer;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.GptBytePairEncodingParams;
import com.knuddels.jtokkit.api.IntArrayList;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM, DeepSeek, …) with jtokkit doing the merges.
 *
 * <p>jtokkit merges, in each piece, the adjacent pair whose concatenation has the lowest rank, and returns the
 * ranks; a piece that is itself in the table is returned whole. Vocabularies defined by a merge list rank each
 * merged string by its first merge, and ids are mapped back from ranks, so the vocabulary's id order does not
 * matter. Where the two definitions could disagree — a token that its own merges do not build — the vocabulary
 * is refused ({@link #checkMergesAgree}). Special tokens are split out of the text first (jtokkit refuses them
 * inside text); pieces come from a {@link PreTokenizer}.
 */
public final class ByteLevelBpe implements Tokenizer {
    /** One jtokkit pattern that keeps each pre-tokenized piece whole. */
    private static final Pattern WHOLE = Pattern.compile("(?s).+");

    private final Encoding encoding;
    private final int[] rankToId;
    private final byte[][] idBytes;
    private final boolean[] control;
    private final SpecialTokens specials;
    private final PreTokenizer pre;
    private final int bos;
    private final int eos;
    private final Set<Integer> stops;
    private final String name;
    private Definition definition;

    /**
     * Everything that defines the tokenizer, as a {@code .lowbit} header stores it: token texts in id order (byte-level
     * text, raw text for special and control tokens), the merges ({@code null} when the tokens are in tiktoken rank
     * order), the pre-tokenizer's expressions and the special ids.
     */
    public record Definition(String name, String[] tokens, String[] merges, boolean[] special, boolean[] control, String preName,
                             List<String> preExpressions, int bos, int eos, Set<Integer> stops) {}

    public static ByteLevelBpe of(Definition d) {
        PreTokenizer pre = PreTokenizer.of(d.preName(), d.preExpressions().toArray(String[]::new));
        if (d.merges() != null) return fromMerges(d.name(), d.tokens(), d.merges(), d.special(), d.control(), pre, d.bos(), d.eos(), d.stops());
        Map<byte[], Integer> ranks = new HashMap<>();
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (int i = 0; i < d.tokens().length; i++) {
            if (d.special()[i]) {
                specials.put(d.tokens()[i], i);
            } else {
                byte[] b = ByteLevel.decode(d.tokens()[i]);
                if (b == null) throw new IllegalArgumentException("token " + i + " is not byte-level text");
                ranks.put(b, i);
            }
        }
        return fromRanks(d.name(), ranks, specials, pre, d.bos(), d.eos(), d.stops());
    }

    public Definition definition() {
        return definition;
    }

    private ByteLevelBpe(String name, Map<byte[], Integer> ranks, int[] rankToId, byte[][] idBytes, boolean[] control,
                         Map<String, Integer> specials, PreTokenizer pre, int bos, int eos, Set<Integer> stops) {
        this.name = name;
        this.encoding = Encodings.newLazyEncodingRegistry()
                .registerGptBytePairEncoding(new GptBytePairEncodingParams(name, WHOLE, ranks, Map.of()))
                .getEncoding(name).orElseThrow();
        this.rankToId = rankToId;
        this.idBytes = idBytes;
        this.control = control;
        this.specials = SpecialTokens.of(specials);
        this.pre = pre;
        this.bos = bos;
        this.eos = eos;
        Set<Integer> allStops = new java.util.HashSet<>(stops);
        allStops.addAll(this.specials.endOfTurn()); // chat models end a turn with these even when metadata names only EOS
        this.stops = Set.copyOf(allStops);
    }

    /**
     * From a byte-level vocabulary (GGUF {@code tokenizer.ggml.tokens}, {@code vocab.json}) and its merges
     * ({@code "a b"}). {@code special} marks ids that are split out of text as whole tokens; {@code control} marks
     * ids that decode to nothing.
     */
    public static ByteLevelBpe fromMerges(String name, String[] tokens, String[] merges, boolean[] special, boolean[] control,
                                          PreTokenizer pre, int bos, int eos, Set<Integer> stops) {
        Map<String, Integer> ids = new HashMap<>(tokens.length * 2);
        byte[][] idBytes = new byte[tokens.length][];
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (int i = 0; i < tokens.length; i++) {
            if (special[i] || control[i]) {
                idBytes[i] = tokens[i].getBytes(StandardCharsets.UTF_8);
                if (special[i]) specials.put(tokens[i], i);
                continue;
            }
            idBytes[i] = ByteLevel.decode(tokens[i]);
            if (idBytes[i] == null) throw new IllegalArgumentException("token " + i + " '" + tokens[i] + "' is not byte-level text");
            ids.putIfAbsent(tokens[i], i);
        }
        // Rank: single bytes first (their rank never decides a merge), then each merged string by its first merge.
        // A byte the vocabulary lacks (0xC0 never occurs in UTF-8) still gets a rank, for id -1: dropped, as llama.cpp does.
        Map<String, Integer> rankOf = new HashMap<>(tokens.length * 2);
        List<Integer> rankIds = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            String s = ByteLevel.encode(new byte[] {(byte) b});
            rankOf.put(s, rankIds.size());
            rankIds.add(ids.getOrDefault(s, -1));
        }
        for (int m = 0; m < merges.length; m++) {
            int space = merges[m].indexOf(' ', 1);
            if (space < 0) throw new IllegalArgumentException("merge " + m + " '" + merges[m] + "' is not two tokens");
            String left = merges[m].substring(0, space), right = merges[m].substring(space + 1);
            String merged = left + right;
            Integer id = ids.get(merged);
            if (id == null || !ids.containsKey(left) || !ids.containsKey(right)) {
                throw new IllegalArgumentException("merge " + m + " '" + merges[m] + "' uses or makes a token outside the vocabulary");
            }
            if (rankOf.putIfAbsent(merged, rankIds.size()) == null) rankIds.add(id);
        }
        Map<byte[], Integer> ranks = new HashMap<>(rankOf.size() * 2);
        rankOf.forEach((s, r) -> ranks.put(ByteLevel.decode(s), r));
        int[] rankToId = rankIds.stream().mapToInt(Integer::intValue).toArray();
        checkMergesAgree(rankOf, ids);
        ByteLevelBpe t = new ByteLevelBpe(name, ranks, rankToId, idBytes, control, specials, pre, bos, eos, stops);
        t.definition = new Definition(name, tokens.clone(), merges.clone(), special.clone(), control.clone(), pre.name(), pre.expressions(),
                bos, eos, stops);
        return t;
    }

    /**
     * From tiktoken ranks (bytes → id, as in Llama 3's {@code tokenizer.model}); ids of special tokens follow the ranks.
     */
    public static ByteLevelBpe fromRanks(String name, Map<byte[], Integer> ranks, Map<String, Integer> specials, PreTokenizer pre,
                                         int bos, int eos, Set<Integer> stops) {
        int size = ranks.size() + specials.size();
        byte[][] idBytes = new byte[size][];
        boolean[] control = new boolean[size];
        int[] rankToId = new int[ranks.size()];
        for (Map.Entry<byte[], Integer> e : ranks.entrySet()) {
            int r = e.getValue();
            if (r < 0 || r >= ranks.size() || idBytes[r] != null) throw new IllegalArgumentException("ranks are not 0.." + (ranks.size() - 1));
            idBytes[r] = e.getKey();
            rankToId[r] = r;
        }
        for (Map.Entry<String, Integer> e : specials.entrySet()) {
            int id = e.getValue();
            if (id < ranks.size() || id >= size) throw new IllegalArgumentException("special token id " + id + " out of range");
            idBytes[id] = e.getKey().getBytes(StandardCharsets.UTF_8);
            control[id] = true;
        }
        ByteLevelBpe t = new ByteLevelBpe(name, ranks, rankToId, idBytes, control, specials, pre, bos, eos, stops);
        String[] texts = new String[size];
        boolean[] special = new boolean[size];
        for (int i = 0; i < size; i++) {
            special[i] = control[i];
            texts[i] = control[i] ? new String(idBytes[i], StandardCharsets.UTF_8) : ByteLevel.encode(idBytes[i]);
        }
        t.definition = new Definition(name, texts, null, special, control.clone(), pre.name(), pre.expressions(), bos, eos, stops);
        return t;
    }

    /**
     * Rank-order merging reproduces the merge list only if each merged token is what its own bytes encode to; a
     * vocabulary where that fails would be tokenized differently from its reference, so it is refused. (Checked on
     * byte-level strings: tokens can be partial UTF-8, which jtokkit's String interface cannot carry.)
     */
    private static void checkMergesAgree(Map<String, Integer> rankOf, Map<String, Integer> ids) {
        for (String s : rankOf.keySet()) {
            if (s.length() < 2) continue;
            List<String> parts = new ArrayList<>();
            for (int i = 0; i < s.length(); i++) parts.add(s.substring(i, i + 1));
            while (parts.size() > 1) {
                int best = -1, bestRank = Integer.MAX_VALUE;
                for (int i = 0; i + 1 < parts.size(); i++) {
                    Integer r = rankOf.get(parts.get(i) + parts.get(i + 1));
                    if (r != null && r < bestRank) {
                        bestRank = r;
                        best = i;
                    }
                }
                if (best < 0) break;
                parts.set(best, parts.get(best) + parts.remove(best + 1));
            }
            if (parts.size() != 1) {
                throw new IllegalArgumentException("the merges do not build token '" + s + "' (id " + ids.get(s) + ") from its bytes;"
                        + " rank-based BPE would tokenize it differently from the reference");
            }
        }
    }

    @Override public int vocabSize() { return idBytes.length; }
    @Override public int bos() { return bos; }
    @Override public int eos() { return eos; }
    @Override public boolean isStop(int token) { return stops.contains(token); }
    @Override public boolean isControl(int token) { return token >= 0 && token < control.length && control[token]; }

    @Override
    public String describe() {
        return "byte-level BPE via jtokkit, " + pre.name() + " pre-tokenizer (" + idBytes.length + " tokens)";
    }

    @Override
    public String tokenText(int token) {
        return new String(idBytes[token], StandardCharsets.UTF_8);
    }

    @Override
    public byte[] tokenBytes(int token, boolean atStart) {
        if (token < 0 || token >= idBytes.length) throw new IllegalArgumentException("token id " + token + " out of range");
        return control[token] || idBytes[token] == null ? new byte[0] : idBytes[token];
    }

    @Override
    public int[] encode(String text, boolean addBos, boolean addEos) {
        IntArrayList out = new IntArrayList();
        if (addBos && bos >= 0) out.add(bos);
        specials.split(text, piece -> encodeText(piece, out), out::add);
        if (addEos && eos >= 0) out.add(eos);
        return out.toArray();
    }

    private void encodeText(String text, IntArrayList out) {
        if (text.isEmpty()) return;
        for (String piece : pre.split(text)) {
            IntArrayList ranks = encoding.encodeOrdinary(piece);
            for (int i = 0; i < ranks.size(); i++) {
                int id = rankToId[ranks.get(i)];
                if (id >= 0) out.add(id);
            }
        }
    }
}
