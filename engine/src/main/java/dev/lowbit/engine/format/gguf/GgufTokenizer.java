package dev.lowbit.engine.format.gguf;

import dev.lowbit.engine.tokenizer.SentencePieceBpe;
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
            case "gpt2" -> throw gguf.file().error("byte-level BPE (tokenizer.ggml.model gpt2) is not supported yet");
            default -> throw gguf.file().error("tokenizer model '" + model + "' is not supported (llama, gpt2)");
        };
    }

    private static Tokenizer sentencePiece(GgufFile gguf, String[] tokens, long[] types) {
        float[] scores = gguf.require("tokenizer.ggml.scores", float[].class);
        if (scores.length != tokens.length) throw gguf.file().error("tokenizer.ggml.scores has " + scores.length + " entries for " + tokens.length + " tokens");
        boolean[] control = new boolean[tokens.length];
        if (types != null) for (int i = 0; i < types.length; i++) control[i] = types[i] == CONTROL;
        int bos = tokenId(gguf, "tokenizer.ggml.bos_token_id", tokens.length, 1);
        int eos = tokenId(gguf, "tokenizer.ggml.eos_token_id", tokens.length, 2);
        int unk = tokenId(gguf, "tokenizer.ggml.unknown_token_id", tokens.length, 0);
        return new SentencePieceBpe(tokens, scores, control, bos, eos, unk, "\u2581");
    }

    /** A special token id from metadata (or the default), checked against the vocabulary; -1 when absent. */
    static int tokenId(GgufFile gguf, String key, int vocab, int fallback) {
        Long v = gguf.get(key, Long.class, (long) fallback);
        if (v < -1 || v >= vocab) throw gguf.file().error(key + " = " + v + " is outside the vocabulary of " + vocab);
        return v.intValue();
    }
}
