package dev.lowbit.engine.format;

import dev.lowbit.engine.json.JsonException;
import dev.lowbit.engine.json.JsonObject;
import dev.lowbit.engine.tokenizer.ByteLevelBpe;
import dev.lowbit.engine.tokenizer.SentencePieceBpe;
import dev.lowbit.engine.tokenizer.SpecialTokens;
import dev.lowbit.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A tokenizer as it is stored in a {@code .lowbit} header: SentencePiece-style BPE or byte-level BPE. */
final class TokenizerJson {
    private static final int MAX_TOKENS = 1 << 22;

    private TokenizerJson() {}

    static Map<String, Object> write(Tokenizer tokenizer) {
        return switch (tokenizer) {
            case SentencePieceBpe t -> sentencePiece(t);
            case ByteLevelBpe t -> byteLevel(t.definition());
            default -> throw new IllegalArgumentException("cannot store a " + tokenizer.describe() + " tokenizer in a .lowbit file");
        };
    }

    static Tokenizer read(JsonObject m) {
        return switch (m.string("type")) {
            case "sentencepiece-bpe" -> readSentencePiece(m);
            case "byte-level-bpe" -> readByteLevel(m);
            default -> throw new JsonException("unknown tokenizer type " + m.string("type"));
        };
    }

    private static Map<String, Object> sentencePiece(SentencePieceBpe t) {
        List<Object> pieces = new ArrayList<>(t.vocabSize());
        float[] scores = new float[t.vocabSize()];
        List<Object> control = new ArrayList<>();
        for (int i = 0; i < t.vocabSize(); i++) {
            pieces.add(t.piece(i));
            scores[i] = t.score(i);
            if (t.isControl(i)) control.add(i);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "sentencepiece-bpe");
        m.put("space", t.space());
        m.put("bos", t.bos());
        m.put("eos", t.eos());
        m.put("unk", t.unk());
        m.put("control", control);
        m.put("specials", new ArrayList<Object>(t.specials().ids().values()));
        m.put("pieces", pieces);
        m.put("scores", scores);
        return m;
    }

    private static Tokenizer readSentencePiece(JsonObject m) {
        String[] pieces = strings(m, "pieces");
        float[] scores = m.floats("scores");
        if (scores.length != pieces.length) throw new JsonException("tokenizer has " + pieces.length + " pieces but " + scores.length + " scores");
        boolean[] control = flags(m, "control", pieces.length);
        Map<String, Integer> specials = new HashMap<>();
        if (m.has("specials")) {
            boolean[] s = flags(m, "specials", pieces.length);
            for (int i = 0; i < s.length; i++) if (s[i]) specials.put(pieces[i], i);
        }
        int n = pieces.length;
        return new SentencePieceBpe(pieces, scores, control, m.integer("bos", -1, n - 1), m.integer("eos", -1, n - 1),
                m.integer("unk", -1, n - 1), m.string("space"), SpecialTokens.of(specials));
    }

    private static Map<String, Object> byteLevel(ByteLevelBpe.Definition d) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "byte-level-bpe");
        m.put("name", d.name());
        m.put("bos", d.bos());
        m.put("eos", d.eos());
        m.put("stops", new ArrayList<Object>(d.stops()));
        m.put("pre_tokenizer", d.preName());
        m.put("pre_expressions", new ArrayList<Object>(d.preExpressions()));
        m.put("special", ids(d.special()));
        m.put("control", ids(d.control()));
        m.put("tokens", List.of((Object[]) d.tokens()));
        if (d.merges() != null) m.put("merges", List.of((Object[]) d.merges()));
        return m;
    }

    private static Tokenizer readByteLevel(JsonObject m) {
        String[] tokens = strings(m, "tokens");
        int n = tokens.length;
        Set<Integer> stops = new HashSet<>();
        for (long id : m.longs("stops")) {
            if (id < 0 || id >= n) throw new JsonException("stop token id " + id + " out of range");
            stops.add((int) id);
        }
        List<String> expressions = new ArrayList<>();
        for (Object o : m.list("pre_expressions")) expressions.add(String.valueOf(o));
        var d = new ByteLevelBpe.Definition(m.string("name"), tokens, m.has("merges") ? strings(m, "merges") : null,
                flags(m, "special", n), flags(m, "control", n), m.string("pre_tokenizer"), expressions,
                m.integer("bos", -1, n - 1), m.integer("eos", -1, n - 1), stops);
        try {
            return ByteLevelBpe.of(d);
        } catch (IllegalArgumentException e) { // also a bad pre-tokenizer expression
            throw new JsonException("tokenizer: " + e.getMessage());
        }
    }

    private static List<Object> ids(boolean[] flags) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < flags.length; i++) if (flags[i]) out.add(i);
        return out;
    }

    private static boolean[] flags(JsonObject m, String key, int n) {
        boolean[] f = new boolean[n];
        for (long id : m.longs(key)) {
            if (id < 0 || id >= n) throw new JsonException(key + " token id " + id + " out of range");
            f[(int) id] = true;
        }
        return f;
    }

    private static String[] strings(JsonObject m, String key) {
        List<Object> list = m.list(key);
        if (list.size() > MAX_TOKENS || key.equals("tokens") && list.isEmpty() || key.equals("pieces") && list.isEmpty()) {
            throw new JsonException("tokenizer has " + list.size() + " " + key);
        }
        String[] out = new String[list.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(list.get(i) instanceof String s)) throw new JsonException("tokenizer " + key + "[" + i + "] is not a string");
            out[i] = s;
        }
        return out;
    }
}
