package dev.lowbit.engine.tokenizer;

import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * Tokens matched whole in text before any BPE runs (control tokens such as {@code <|im_start|>}, added and
 * user-defined tokens): the leftmost occurrence wins, the longest on ties.
 */
public record SpecialTokens(Map<String, Integer> ids, List<String> longestFirst) {
    public static final SpecialTokens NONE = of(Map.of());

    /** Texts of tokens that end a turn in the chat formats models use (llama.cpp recognizes the same ones). */
    private static final java.util.Set<String> END_OF_TURN = java.util.Set.of("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>",
            "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<EOT>", "<｜end▁of▁sentence｜>");

    /** The ids of these special tokens that end a turn. */
    public java.util.Set<Integer> endOfTurn() {
        java.util.Set<Integer> out = new java.util.HashSet<>();
        ids.forEach((text, id) -> {
            if (END_OF_TURN.contains(text)) out.add(id);
        });
        return out;
    }

    public static SpecialTokens of(Map<String, Integer> ids) {
        return new SpecialTokens(Map.copyOf(ids), ids.keySet().stream().filter(s -> !s.isEmpty())
                .sorted((a, b) -> b.length() - a.length()).toList());
    }

    /** Calls {@code onText} for each stretch of plain text (possibly empty) and {@code onSpecial} for each special token. */
    public void split(String text, Consumer<String> onText, IntConsumer onSpecial) {
        int start = 0;
        while (true) {
            int at = text.length();
            String found = null;
            for (String s : longestFirst) {
                int i = text.indexOf(s, start);
                if (i >= 0 && i < at) {
                    at = i;
                    found = s;
                }
            }
            onText.accept(text.substring(start, at));
            if (found == null) return;
            onSpecial.accept(ids.get(found));
            start = at + found.length();
        }
    }
}
