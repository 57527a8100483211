package dev.lowbit.engine.tokenizer;

import java.io.ByteArrayOutputStream;

/**
 * GPT-2's byte-level alphabet: every byte is written as one printable character, so that vocabularies and merges
 * can be stored as text. Printable Latin-1 bytes stand for themselves; the other 68 map to U+0100 onwards in order.
 */
public final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = (char) (printable ? b : next++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevel() {}

    /** The bytes a vocabulary string stands for, or null when it holds a character outside the alphabet. */
    public static byte[] decode(String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); i++) {
            char c = token.charAt(i);
            int b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
            if (b < 0) return null;
            out.write(b);
        }
        return out.toByteArray();
    }

    public static String encode(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) sb.append(BYTE_TO_CHAR[b & 0xFF]);
        return sb.toString();
    }
}
