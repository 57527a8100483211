package dev.lowbit.engine.format.hf;

import dev.lowbit.engine.json.JsonException;
import dev.lowbit.engine.json.JsonObject;
import dev.lowbit.engine.tokenizer.ByteLevelBpe;
import dev.lowbit.engine.tokenizer.PreTokenizer;
import dev.lowbit.engine.tokenizer.SentencePieceBpe;
import dev.lowbit.engine.tokenizer.SpecialTokens;
import dev.lowbit.engine.tokenizer.Tokenizer;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face {@code tokenizer.json} with a BPE model: byte-level (GPT-2, Llama 3, Qwen2, SmolLM: vocabulary,
 * merges, added tokens split out of text whole, the pre-tokenizer's split expression) or SentencePiece-style with
 * byte fallback (Llama 2, Mistral).
 */
public final class HfTokenizerJson {
    /** GPT-2's expression, which the ByteLevel pre-tokenizer applies when {@code use_regex} is on. */
    static final String GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private HfTokenizerJson() {}

    /**
     * @param bos, eos ids from the model's config (-1 when unknown); {@code stops} the ids that end generation
     * @return byte-level BPE, or SentencePiece-style BPE for vocabularies written with "▁" and byte fallback
     *         (Llama 2, Mistral), with merge ranks as piece scores
     */
    public static Tokenizer parse(JsonObject t, String name, int bos, int eos, Set<Integer> stops) {
        JsonObject model = t.object("model");
        String type = model.has("type") ? model.string("type") : "BPE";
        if (!type.equals("BPE")) throw new JsonException("tokenizer model type '" + type + "' is not supported (BPE)");
        boolean sentencePiece = model.has("byte_fallback") && model.bool("byte_fallback");
        JsonObject vocab = model.object("vocab");
        List<Object> added = t.has("added_tokens") ? t.list("added_tokens") : List.of();
        int size = 0;
        for (Map.Entry<String, Object> e : vocab.map().entrySet()) {
            if (!(e.getValue() instanceof Long id) || id < 0) throw new JsonException("vocab entry '" + e.getKey() + "' has a bad id");
            size = Math.max(size, (int) Math.min(Integer.MAX_VALUE - 1, id) + 1);
        }
        for (Object a : added) size = Math.max(size, JsonObject.of(a, "added_tokens[]").integer("id", 0, 1 << 24) + 1);
        if (size > 1 << 24) throw new JsonException("vocabulary of " + size + " tokens is implausibly large");
        String[] tokens = new String[size];
        boolean[] special = new boolean[size], control = new boolean[size];
        for (Map.Entry<String, Object> e : vocab.map().entrySet()) {
            if (!(e.getValue() instanceof Long id) || id < 0 || tokens[id.intValue()] != null) throw new JsonException("vocab entry '" + e.getKey() + "' has a bad id");
            tokens[id.intValue()] = e.getKey();
        }
        for (Object a : added) {
            JsonObject o = JsonObject.of(a, "added_tokens[]");
            int id = o.integer("id", 0, size - 1);
            tokens[id] = o.string("content");
            special[id] = true;
            control[id] = !o.has("special") || o.bool("special");
        }
        for (int i = 0; i < size; i++) {
            if (tokens[i] == null) { // an unused id: never produced, decodes to nothing
                tokens[i] = "<unused " + i + ">";
                control[i] = true;
            }
        }
        List<Object> mergeList = model.list("merges");
        String[] merges = new String[mergeList.size()];
        for (int i = 0; i < merges.length; i++) {
            Object m = mergeList.get(i);
            merges[i] = m instanceof List<?> pair && pair.size() == 2 ? pair.get(0) + " " + pair.get(1) : String.valueOf(m);
        }
        if (sentencePiece) return sentencePiece(tokens, merges, special, control, bos, eos);
        Set<Integer> allStops = new HashSet<>(stops);
        if (eos >= 0) allStops.add(eos);
        try {
            return ByteLevelBpe.fromMerges(name, tokens, merges, special, control, preTokenizer(t), bos, eos, allStops);
        } catch (IllegalArgumentException e) {
            throw new JsonException(e.getMessage());
        }
    }

    /**
     * SentencePiece BPE merges the pair whose result scores highest; a merge list says the same by order, so each
     * merged piece scores minus the rank of the first merge that makes it, and other pieces score below them all.
     */
    private static Tokenizer sentencePiece(String[] tokens, String[] merges, boolean[] special, boolean[] control, int bos, int eos) {
        Map<String, Integer> ids = new java.util.HashMap<>();
        for (int i = 0; i < tokens.length; i++) ids.putIfAbsent(tokens[i], i);
        float[] scores = new float[tokens.length];
        java.util.Arrays.fill(scores, -1e9f);
        for (int m = merges.length - 1; m >= 0; m--) {
            int space = merges[m].indexOf(' ', 1);
            Integer id = space < 0 ? null : ids.get(merges[m].substring(0, space) + merges[m].substring(space + 1));
            if (id == null) throw new JsonException("merge " + m + " '" + merges[m] + "' makes a piece outside the vocabulary");
            scores[id] = -m;
        }
        Map<String, Integer> specials = new java.util.LinkedHashMap<>();
        for (int i = 0; i < tokens.length; i++) if (special[i]) specials.put(tokens[i], i);
        int unk = ids.getOrDefault("<unk>", -1);
        return new SentencePieceBpe(tokens, scores, control, bos, eos, unk, "\u2581", SpecialTokens.of(specials));
    }

    /** A ByteLevel pre-tokenizer (GPT-2's expression), or a Split expression followed by ByteLevel without its own. */
    static PreTokenizer preTokenizer(JsonObject t) {
        if (!t.has("pre_tokenizer")) throw new JsonException("tokenizer.json has no pre_tokenizer");
        JsonObject p = t.object("pre_tokenizer");
        String type = p.string("type");
        if (type.equals("ByteLevel")) return PreTokenizer.of("ByteLevel", GPT2_REGEX);
        if (type.equals("Sequence")) {
            for (Object o : p.list("pretokenizers")) {
                JsonObject step = JsonObject.of(o, "pre_tokenizer.pretokenizers[]");
                if (step.string("type").equals("Split") && step.object("pattern").has("Regex")) {
                    return PreTokenizer.of("tokenizer.json split", step.object("pattern").string("Regex"));
                }
            }
        }
        throw new JsonException("pre_tokenizer of type " + type + " is not supported (ByteLevel, or Split + ByteLevel)");
    }
}
