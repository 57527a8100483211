package dev.lowbit.engine.format.gguf;

import dev.lowbit.engine.ModelFileException;
import dev.lowbit.engine.format.MappedFile;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/** Reads GGUF's little-endian header fields in order, checking every read against the end of the file. */
final class GgufCursor {
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Longest string accepted in a header (token texts and templates are far shorter). */
    private static final long MAX_STRING = 1 << 24;

    private final MappedFile file;
    private final MemorySegment seg;
    private long pos;

    GgufCursor(MappedFile file, long pos) {
        this.file = file;
        this.seg = file.segment();
        this.pos = pos;
    }

    long position() {
        return pos;
    }

    long remaining() {
        return seg.byteSize() - pos;
    }

    ModelFileException error(String problem) {
        return file.error(problem + " (header offset " + pos + ")");
    }

    private void need(long n, String what) {
        if (n < 0 || n > remaining()) throw error("truncated: " + what + " needs " + n + " bytes, " + remaining() + " left");
    }

    int u8(String what) {
        need(1, what);
        return seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF;
    }

    int u16(String what) {
        need(2, what);
        int v = seg.get(SHORT, pos) & 0xFFFF;
        pos += 2;
        return v;
    }

    int i32(String what) {
        need(4, what);
        int v = seg.get(INT, pos);
        pos += 4;
        return v;
    }

    long u32(String what) {
        return i32(what) & 0xFFFFFFFFL;
    }

    long i64(String what) {
        need(8, what);
        long v = seg.get(LONG, pos);
        pos += 8;
        return v;
    }

    /** A count or length: an unsigned 64-bit value that must fit what is left of the file at {@code minBytes} each. */
    long count(String what, long minBytes) {
        long n = i64(what);
        if (n < 0 || (minBytes > 0 && n > remaining() / minBytes)) {
            throw error("truncated or corrupt: " + what + " " + Long.toUnsignedString(n) + " exceeds the file");
        }
        return n;
    }

    String string(String what) {
        long len = count(what + " length", 1);
        if (len > MAX_STRING) throw error(what + " of " + len + " bytes is implausibly long");
        byte[] b = new byte[(int) len];
        MemorySegment.copy(seg, ValueLayout.JAVA_BYTE, pos, b, 0, b.length);
        pos += len;
        return new String(b, StandardCharsets.UTF_8);
    }

    void skip(long n, String what) {
        need(n, what);
        pos += n;
    }
}
