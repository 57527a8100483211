package dev.lowbit.engine.chat;

import dev.lowbit.engine.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;

/** A conversation's prompt tokens: the template rendered with the tokenizer's BOS and EOS, then encoded. */
public final class ChatPrompt {
    private final ChatTemplate template;
    private final Tokenizer tokenizer;
    private final String bosText, eosText;

    public ChatPrompt(ChatTemplate template, Tokenizer tokenizer) {
        this.template = template;
        this.tokenizer = tokenizer;
        // A template writes BOS as text when the tokenizer reads it back as the BOS token; otherwise BOS is added by id.
        this.bosText = tokenizer.bos() >= 0 && Arrays.equals(tokenizer.encode(tokenizer.tokenText(tokenizer.bos()), false, false),
                new int[] {tokenizer.bos()}) ? tokenizer.tokenText(tokenizer.bos()) : "";
        this.eosText = tokenizer.eos() >= 0 ? tokenizer.tokenText(tokenizer.eos()) : "";
    }

    public ChatTemplate template() {
        return template;
    }

    /** The tokens of {@code messages}, ready for the assistant's reply. */
    public int[] tokens(List<ChatMessage> messages) {
        return tokenizer.encode(template.render(messages, true, bosText, eosText), bosText.isEmpty(), false);
    }
}
