package dev.lowbit.engine.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Turns a stream of token ids into text as it is generated. Byte-fallback and byte-level tokens can split a
 * UTF-8 character across tokens; the incomplete tail is held back until the character is complete.
 */
public final class TextStream {
    private final Tokenizer tokenizer;
    private byte[] pending = new byte[16];
    private int length;
    private boolean atStart = true;

    TextStream(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** The text that token completes (possibly empty). */
    public String push(int token) {
        if (tokenizer.isControl(token)) {
            atStart = true;
            return "";
        }
        byte[] bytes = tokenizer.tokenBytes(token, atStart);
        atStart = false;
        if (length + bytes.length > pending.length) {
            pending = java.util.Arrays.copyOf(pending, Math.max(pending.length * 2, length + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, length, bytes.length);
        length += bytes.length;
        int complete = completePrefix(pending, length);
        String text = new String(pending, 0, complete, StandardCharsets.UTF_8);
        System.arraycopy(pending, complete, pending, 0, length - complete);
        length -= complete;
        return text;
    }

    /** Whatever is still held back (an incomplete character becomes U+FFFD). */
    public String flush() {
        String text = new String(pending, 0, length, StandardCharsets.UTF_8);
        length = 0;
        return text;
    }

    /** Length of the longest prefix that does not end inside a UTF-8 sequence that could still be completed. */
    static int completePrefix(byte[] b, int n) {
        // Look back at most 3 bytes for the lead byte of the last sequence.
        for (int i = n - 1; i >= Math.max(0, n - 4); i--) {
            int c = b[i] & 0xFF;
            if ((c & 0xC0) == 0x80) continue; // continuation byte: keep looking for the lead
            int need = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
            return n - i < need ? i : n;
        }
        return n; // only continuation bytes: invalid anyway, let the decoder replace them
    }
}
