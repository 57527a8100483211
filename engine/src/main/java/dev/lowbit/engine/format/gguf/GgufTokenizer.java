package dev.lowbit.engine.format.gguf;

import dev.lowbit.engine.tokenizer.ByteLevelBpe;
import dev.lowbit.engine.tokenizer.PreTokenizer;
import dev.lowbit.engine.tokenizer.SentencePieceBpe;
import dev.lowbit.engine.tokenizer.SpecialTokens;
import dev.lowbit.engine.tokenizer.Tokenizer;

/** The tokenizer a GGUF file describes in its {@code tokenizer.ggml.*} metadata. */
public final class GgufTokenizer {
    /** llama.cpp's token types. */
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;

    private GgufTokenizer() {}

    public static Tokenizer from(GgufFile gguf) {
        String model = gguf.require("tokenizer.ggml.model", String.class);
        String[] tokens = gguf.require("tokenizer.ggml.tokens", String[].class);
        if (tokens.length == 0) throw gguf.file().error("tokenizer.ggml.tokens is empty");
        long[] types = gguf.get("tokenizer.ggml.token_type", long[].class, null);
        if (types != null && types.length != tokens.length) {
            throw gguf.file().error("tokenizer.ggml.token_type has " + types.length + " entries for " + tokens.length + " tokens");
        }
        return switch (model) {
            case "llama" -> sentencePiece(gguf, tokens, types);
            case "gpt2" -> byteLevel(gguf, tokens, types);
            case "gemma4" -> escapedSpace(gguf, tokens, types);
            default -> throw gguf.file().error("tokenizer model '" + model + "' is not supported (llama, gpt2, gemma4)");
        };
    }

    /** End-of-turn texts llama.cpp adds to Gemma 4's end-of-generation set (src/llama-vocab.cpp). */
    private static final java.util.List<String> GEMMA4_STOPS = java.util.List.of("<eos>", "<turn|>", "<|tool_response>");

    /** Gemma 4's tokenizer: BPE over raw text with spaces as ▁; llama.cpp always puts BOS first. */
    private static Tokenizer escapedSpace(GgufFile gguf, String[] tokens, long[] types) {
        if (types == null) throw gguf.file().error("tokenizer.ggml.token_type is missing");
        String[] merges = gguf.require("tokenizer.ggml.merges", String[].class);
        int bos = tokenId(gguf, "tokenizer.ggml.bos_token_id", tokens.length, -1);
        int eos = tokenId(gguf, "tokenizer.ggml.eos_token_id", tokens.length, -1);
        java.util.Set<Integer> stops = eosAndEot(gguf, tokens.length);
        for (int i = 0; i < tokens.length; i++) if (GEMMA4_STOPS.contains(tokens[i])) stops.add(i);
        try {
            return new dev.lowbit.engine.tokenizer.EscapedSpaceBpe(tokens, types, merges, bos, eos, stops);
        } catch (IllegalArgumentException e) {
            throw gguf.file().error("tokenizer: " + e.getMessage());
        }
    }

    private static Tokenizer sentencePiece(GgufFile gguf, String[] tokens, long[] types) {
        float[] scores = gguf.require("tokenizer.ggml.scores", float[].class);
        if (scores.length != tokens.length) throw gguf.file().error("tokenizer.ggml.scores has " + scores.length + " entries for " + tokens.length + " tokens");
        boolean[] control = new boolean[tokens.length];
        java.util.Map<String, Integer> specials = new java.util.HashMap<>();
        if (types != null) {
            for (int i = 0; i < types.length; i++) {
                control[i] = types[i] == CONTROL;
                if (types[i] == CONTROL || types[i] == USER_DEFINED) specials.putIfAbsent(tokens[i], i);
            }
        }
        int bos = tokenId(gguf, "tokenizer.ggml.bos_token_id", tokens.length, 1);
        int eos = tokenId(gguf, "tokenizer.ggml.eos_token_id", tokens.length, 2);
        int unk = tokenId(gguf, "tokenizer.ggml.unknown_token_id", tokens.length, 0);
        // The tokenizers put BOS before a prompt when they have one: none where llama.cpp puts none.
        return new SentencePieceBpe(tokens, scores, control, addsBos(gguf, true, null) ? bos : -1, eos, unk, "\u2581", SpecialTokens.of(specials));
    }

    private static Tokenizer byteLevel(GgufFile gguf, String[] tokens, long[] types) {
        String[] merges = gguf.require("tokenizer.ggml.merges", String[].class);
        String preName = gguf.get("tokenizer.ggml.pre", String.class, "default");
        PreTokenizer pre = PreTokenizer.named(preName);
        if (pre == null) throw gguf.file().error("pre-tokenizer '" + preName + "' is not supported");
        boolean[] special = new boolean[tokens.length], control = new boolean[tokens.length];
        if (types != null) {
            for (int i = 0; i < tokens.length; i++) {
                control[i] = types[i] == CONTROL;
                // llama.cpp always splits user-defined tokens out of text; control tokens too, as chat prompts need.
                special[i] = types[i] == CONTROL || types[i] == USER_DEFINED;
            }
        }
        int bos = addsBos(gguf, false, preName) ? tokenId(gguf, "tokenizer.ggml.bos_token_id", tokens.length, -1) : -1;
        int eos = tokenId(gguf, "tokenizer.ggml.eos_token_id", tokens.length, -1);
        java.util.Set<Integer> stops = eosAndEot(gguf, tokens.length);
        try {
            return ByteLevelBpe.fromMerges(gguf.file().path().getFileName().toString(), tokens, merges, special, control, pre, bos, eos, stops);
        } catch (IllegalArgumentException e) {
            throw gguf.file().error("tokenizer: " + e.getMessage());
        }
    }

    /** Byte-level pre-tokenizers after which llama.cpp puts BOS by default: the Llama 3 family, Tekken, Chameleon. */
    private static final java.util.Set<String> BOS_BY_DEFAULT = PreTokenizer.llama3TypeAnd("tekken", "chameleon");

    /**
     * Whether llama.cpp puts BOS before a prompt (src/llama-vocab.cpp, {@code add_bos}): SentencePiece vocabularies
     * do, byte-level ones only after the pre-tokenizers in {@link #BOS_BY_DEFAULT}; {@code tokenizer.ggml.add_bos_token}
     * overrides either. (Qwen2 and GPT-2 files name a BOS id but get none.)
     */
    static boolean addsBos(GgufFile gguf, boolean sentencePiece, String preName) {
        Boolean key = gguf.get("tokenizer.ggml.add_bos_token", Boolean.class, null);
        if (key != null) return key;
        return sentencePiece || BOS_BY_DEFAULT.contains(preName);
    }

    /** The ids that end generation by metadata: EOS and end-of-turn, those the file names. */
    private static java.util.Set<Integer> eosAndEot(GgufFile gguf, int vocab) {
        java.util.Set<Integer> stops = new java.util.HashSet<>();
        for (String key : new String[] {"tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id"}) {
            int id = tokenId(gguf, key, vocab, -1);
            if (id >= 0) stops.add(id);
        }
        return stops;
    }

    /** A special token id from metadata (or the default), checked against the vocabulary; -1 when absent. */
    static int tokenId(GgufFile gguf, String key, int vocab, int fallback) {
        Long v = gguf.get(key, Long.class, (long) fallback);
        if (v < -1 || v >= vocab) throw gguf.file().error(key + " = " + v + " is outside the vocabulary of " + vocab);
        return v.intValue();
    }
}
