package dev.lowbit.kernels;

/**
 * Geometry of a group-quantized matrix: {@code rows × cols} weights in groups of {@code groupSize}
 * consecutive inputs (the last group of a row is shorter when groupSize does not divide cols), each weight a
 * {@code bits}-bit code. Codes are a little-endian bit stream per row, least significant bit first, rows
 * padded to whole bytes.
 */
public record CodeLayout(int rows, int cols, int bits, int groupSize) {
    public CodeLayout {
        if (rows <= 0 || cols <= 0) throw new IllegalArgumentException("bad shape " + rows + "x" + cols);
        if (bits < 1 || bits > 8) throw new IllegalArgumentException("bits must be 1..8, got " + bits);
        if (groupSize < 1) throw new IllegalArgumentException("group size must be positive, got " + groupSize);
    }

    public int groupsPerRow() {
        return (cols + groupSize - 1) / groupSize;
    }

    public long groups() {
        return (long) rows * groupsPerRow();
    }

    public int rowBytes() {
        return (int) (((long) cols * bits + 7) / 8);
    }

    public long codeBytes() {
        return (long) rows * rowBytes();
    }

    /** Reads code {@code col} of a row whose stream starts at {@code row[rowOffset]}. */
    public static int code(byte[] row, int rowOffset, int col, int bits) {
        long bit = (long) col * bits;
        int at = rowOffset + (int) (bit >>> 3);
        int shift = (int) (bit & 7);
        int window = row[at] & 0xFF;
        if (shift + bits > 8) window |= (row[at + 1] & 0xFF) << 8;
        return (window >>> shift) & ((1 << bits) - 1);
    }

    /**
     * All {@code cols} codes of one row's stream (starting at {@code row[0]}) into {@code codes[0..cols)}, one per byte,
     * in one pass over the stream: what {@link #code} reads one at a time.
     */
    public void readCodes(byte[] row, byte[] codes) {
        int mask = (1 << bits) - 1, have = 0, in = 0;
        long window = 0;
        for (int col = 0; col < cols; col++) {
            if (have < bits) {
                window |= (long) (row[in++] & 0xFF) << have;
                have += 8;
            }
            codes[col] = (byte) (window & mask);
            window >>>= bits;
            have -= bits;
        }
    }

    /** Writes code {@code col} into a zero-initialised row stream. */
    public static void setCode(byte[] row, int rowOffset, int col, int bits, int code) {
        if (code < 0 || code >= 1 << bits) throw new IllegalArgumentException("code " + code + " does not fit " + bits + " bits");
        long bit = (long) col * bits;
        int at = rowOffset + (int) (bit >>> 3);
        int shift = (int) (bit & 7);
        int v = code << shift;
        row[at] |= (byte) v;
        if (shift + bits > 8) row[at + 1] |= (byte) (v >>> 8);
    }
}
