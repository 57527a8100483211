package dev.lowbit.engine.fuzz;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Several files in one fuzz input: each but the last is a 4-byte little-endian length (clamped) and its bytes. */
final class Parts {
    private Parts() {}

    static byte[][] split(byte[] data, int count) {
        byte[][] out = new byte[count][];
        int at = 0;
        for (int i = 0; i < count - 1; i++) {
            int len = 0;
            for (int b = 0; b < 4; b++) len |= (at + b < data.length ? data[at + b] & 0xFF : 0) << (8 * b);
            at = Math.min(data.length, at + 4);
            len = (int) Math.min(Integer.toUnsignedLong(len), data.length - at);
            out[i] = Arrays.copyOfRange(data, at, at + len);
            at += len;
        }
        out[count - 1] = Arrays.copyOfRange(data, at, data.length);
        return out;
    }

    static String text(byte[] part) {
        return new String(part, StandardCharsets.UTF_8);
    }

    /** The inverse of {@link #split}, for seeds. */
    static byte[] join(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < parts.length; i++) {
            if (i < parts.length - 1) for (int b = 0; b < 4; b++) out.write(parts[i].length >>> (8 * b));
            out.writeBytes(parts[i]);
        }
        return out.toByteArray();
    }
}
