package dev.lowbit.engine.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into the pieces BPE runs on, as llama.cpp does: each expression in turn splits every piece so far
 * into its matches and the text between them (both kept). The presets are llama.cpp's, by the name GGUF files
 * store in {@code tokenizer.ggml.pre}.
 */
public record PreTokenizer(String name, List<Pattern> patterns) {
    private static final String GPT2 = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
    private static final String CONTRACTIONS = "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])";
    private static final String LLAMA3 = CONTRACTIONS
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String QWEN2 = CONTRACTIONS
            + "|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Qwen3.5's: letters with their combining marks (\p{M}) stay in one piece. */
    private static final String QWEN35 = CONTRACTIONS
            + "|[^\\r\\n\\p{L}\\p{N}]?[\\p{L}\\p{M}]+|\\p{N}| ?[^\\s\\p{L}\\p{M}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    private static final String CJK = "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+";
    /** DeepSeek's cased-letter class, escaped: compatibility characters such as U+212A KELVIN SIGN must survive editors. */
    private static final String DEEPSEEK_LETTERS = "\\s?[A-Za-z\u00b5\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u01ba\u01bc-\u01bf\u01c4-\u0293\u0295-\u02af\u0370-\u0373\u0376\u0377\u037b-\u037d\u037f\u0386\u0388-\u038a\u038c\u038e-\u03a1\u03a3-\u03f5\u03f7-\u0481\u048a-\u052f\u0531-\u0556\u10a0-\u10c5\u13a0-\u13f5\u13f8-\u13fd\u1c90-\u1cba\u1cbd-\u1cbf\u1d00-\u1d2b\u1d6b-\u1d77\u1d79-\u1d9a\u1e00-\u1f15\u1f18-\u1f1d\u1f20-\u1f45\u1f48-\u1f4d\u1f50-\u1f57\u1f59\u1f5b\u1f5d\u1f5f-\u1f7d\u1f80-\u1fb4\u1fb6-\u1fbc\u1fbe\u1fc2-\u1fc4\u1fc6-\u1fcc\u1fd0-\u1fd3\u1fd6-\u1fdb\u1fe0-\u1fec\u1ff2-\u1ff4\u1ff6-\u1ffc\u2102\u2107\u210a-\u2113\u2115\u2119-\u211d\u2124\u2126\u2128\u212a-\u212d\u212f-\u2134\u2139\u213c-\u213f\u2145-\u2149\u214e\u2183\u2184\u2c00-\u2c7b\u2c7e-\u2ce4\u2ceb-\u2cee\u2cf2\u2cf3\ua640-\ua66d\ua680-\ua69b\ua722-\ua76f\ua771-\ua787\ua78b-\ua78e\uab70-\uabbf\ufb00-\ufb06\ufb13-\ufb17\uff21-\uff3a\uff41-\uff5a\ud801\udc00-\ud801\udc4f\ud801\udcb0-\ud801\udcd3\ud801\udcd8-\ud801\udcfb\ud803\udc80-\ud803\udcb2\ud803\udcc0-\ud803\udcf2\ud806\udca0-\ud806\udcdf\ud83a\udd00-\ud83a\udd43]+";

    /**
     * The {@code tokenizer.ggml.pre} values llama.cpp treats as Llama 3's vocabulary type (src/llama-vocab.cpp,
     * {@code LLAMA_VOCAB_PRE_TYPE_LLAMA3}): BOS by default, and a piece that is a token taken whole.
     */
    public static final java.util.Set<String> LLAMA3_TYPE = java.util.Set.of("llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1",
            "pixtral", "midm-2.0", "lfm2", "jina-v5-nano");

    /** {@link #LLAMA3_TYPE} and {@code more}: llama.cpp gives some other types one of its properties too. */
    public static java.util.Set<String> llama3TypeAnd(String... more) {
        java.util.Set<String> all = new java.util.HashSet<>(LLAMA3_TYPE);
        all.addAll(List.of(more));
        return java.util.Set.copyOf(all);
    }

    public static PreTokenizer of(String name, String... expressions) {
        List<Pattern> list = new ArrayList<>();
        for (String e : expressions) list.add(Pattern.compile(e, Pattern.UNICODE_CHARACTER_CLASS));
        return new PreTokenizer(name, List.copyOf(list));
    }

    /** The pre-tokenizer llama.cpp uses for a {@code tokenizer.ggml.pre} value, or null when it is unknown. */
    public static PreTokenizer named(String pre) {
        return switch (pre) {
            case "gpt-2", "gpt2", "mpt", "olmo", "jais" -> of(pre, GPT2);
            case "llama3", "llama-bpe", "llama-v3", "dbrx", "smaug-bpe" -> of(pre, LLAMA3);
            case "qwen2", "stablelm2", "deepseek-r1-qwen" -> of(pre, QWEN2);
            case "qwen35" -> of(pre, QWEN35);
            case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b" -> of(pre, "\\p{N}", GPT2);
            case "falcon" -> of(pre, "[\\p{P}\\$\\+<=>\\^~\\|`]+", GPT2, "[0-9][0-9][0-9]");
            case "deepseek-coder" -> of(pre, "[\r\n]", "\\s?\\p{L}+", "\\s?\\p{P}+", CJK, "\\p{N}");
            case "deepseek-llm" -> of(pre, "[\r\n]", DEEPSEEK_LETTERS, "\\s?[!-/:-~\uff01-\uff0f\uff1a-\uff5e\u2018-\u201f\u3000-\u3002]+", "\\s+\\z", CJK, "\\p{N}+");
            case "default" -> of(pre, "[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]");
            default -> null;
        };
    }

    public List<String> expressions() {
        return patterns.stream().map(Pattern::pattern).toList();
    }

    public List<String> split(String text) {
        List<String> pieces = List.of(text);
        for (Pattern p : patterns) {
            List<String> next = new ArrayList<>();
            for (String piece : pieces) {
                Matcher m = p.matcher(piece);
                int last = 0;
                while (m.find()) {
                    if (m.start() == m.end()) continue;
                    if (m.start() > last) next.add(piece.substring(last, m.start()));
                    next.add(m.group());
                    last = m.end();
                }
                if (last < piece.length()) next.add(piece.substring(last));
            }
            pieces = next;
        }
        return pieces;
    }
}
