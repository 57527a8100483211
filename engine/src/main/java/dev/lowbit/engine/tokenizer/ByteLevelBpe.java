package dev.lowbit.engine.tokenizer;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.GptBytePairEncodingParams;
import com.knuddels.jtokkit.api.IntArrayList;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Byte-level BPE (GPT-2, Llama 3, Qwen2, SmolLM, DeepSeek, Command R, …). Vocabularies defined by a merge list (GGUF,
 * {@code vocab.json} + {@code merges.txt}) merge as llama.cpp does, by the rank of each pair ({@link MergeListBpe});
 * tiktoken files (Llama 3's {@code tokenizer.model}), defined by the rank of each merged string, merge with jtokkit,
 * which does exactly that and returns a piece that is itself in the table whole. Special tokens are split out of the
 * text first; pieces come from a {@link PreTokenizer}.
 */
public final class ByteLevelBpe implements Tokenizer {
    /** One jtokkit pattern that keeps each pre-tokenized piece whole. */
    private static final Pattern WHOLE = Pattern.compile("(?s).+");

    private final PieceEncoder pieces;
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

    /** The ids of one pre-tokenized piece of text (no special tokens in it). */
    private interface PieceEncoder {
        void encode(String piece, IntArrayList out);
    }

    /** jtokkit over tiktoken ranks; ranks are ids. */
    private record TiktokenPieces(Encoding encoding) implements PieceEncoder {
        static TiktokenPieces of(String name, Map<byte[], Integer> ranks) {
            return new TiktokenPieces(Encodings.newLazyEncodingRegistry()
                    .registerGptBytePairEncoding(new GptBytePairEncodingParams(name, WHOLE, ranks, Map.of()))
                    .getEncoding(name).orElseThrow());
        }

        @Override
        public void encode(String piece, IntArrayList out) {
            IntArrayList ranks = encoding.encodeOrdinary(piece);
            for (int i = 0; i < ranks.size(); i++) out.add(ranks.get(i));
        }
    }

    private ByteLevelBpe(String name, PieceEncoder pieces, byte[][] idBytes, boolean[] control,
                         Map<String, Integer> specials, PreTokenizer pre, int bos, int eos, Set<Integer> stops) {
        this.name = name;
        this.pieces = pieces;
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
        byte[][] idBytes = new byte[tokens.length][];
        Map<String, Integer> specials = new LinkedHashMap<>();
        for (int i = 0; i < tokens.length; i++) {
            if (special[i]) specials.put(tokens[i], i);
            // Special and control tokens are raw text; so are a few ordinary ones in some vocabularies (Command R's
            // U+200D), which no merge builds and which decode to their own text, as llama.cpp decodes them.
            byte[] bytes = special[i] || control[i] ? null : ByteLevel.decode(tokens[i]);
            idBytes[i] = bytes != null ? bytes : tokens[i].getBytes(StandardCharsets.UTF_8);
        }
        ByteLevelBpe t = new ByteLevelBpe(name, new MergeListBpe(tokens, merges, pre.name())::encode, idBytes, control, specials, pre, bos, eos, stops);
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
        for (Map.Entry<byte[], Integer> e : ranks.entrySet()) {
            int r = e.getValue();
            if (r < 0 || r >= ranks.size() || idBytes[r] != null) throw new IllegalArgumentException("ranks are not 0.." + (ranks.size() - 1));
            idBytes[r] = e.getKey();
        }
        for (Map.Entry<String, Integer> e : specials.entrySet()) {
            int id = e.getValue();
            if (id < ranks.size() || id >= size) throw new IllegalArgumentException("special token id " + id + " out of range");
            idBytes[id] = e.getKey().getBytes(StandardCharsets.UTF_8);
            control[id] = true;
        }
        ByteLevelBpe t = new ByteLevelBpe(name, TiktokenPieces.of(name, ranks), idBytes, control, specials, pre, bos, eos, stops);
        String[] texts = new String[size];
        boolean[] special = new boolean[size];
        for (int i = 0; i < size; i++) {
            special[i] = control[i];
            texts[i] = control[i] ? new String(idBytes[i], StandardCharsets.UTF_8) : ByteLevel.encode(idBytes[i]);
        }
        t.definition = new Definition(name, texts, null, special, control.clone(), pre.name(), pre.expressions(), bos, eos, stops);
        return t;
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
        for (String piece : pre.split(text)) pieces.encode(piece, out);
    }
}
