package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** Repacks a row-stream codebook matrix into the table-lookup layout ({@link LutLayout}). */
public final class LutPacker {
    private LutPacker() {}

    /** Whether {@code m} can run on the table-lookup kernel (1, 2 or 4 bits; groups of 32·k or whole rows). */
    public static boolean eligible(CodebookMatrix m) {
        CodeLayout c = m.layout();
        return LutLayout.supportsBits(c.bits()) && LutLayout.supportsGroup(c.groupSize(), c.cols());
    }

    public static LutMatrix pack(CodebookMatrix m) {
        CodeLayout c = m.layout();
        LutLayout l = new LutLayout(c.rows(), c.cols(), c.bits(), c.groupSize(), m.scaleFormat(), m.offsets() != null);
        MemorySegment out = WeightMemory.allocate(l.totalBytes());
        byte[] row = new byte[c.rowBytes()];
        int[][] codes = new int[LutLayout.TILE][];
        int g = l.inputsPerPosition(), bits = l.bits(), scaleBytes = l.scaleFormat().bytes();
        for (int tile = 0; tile < l.tiles(); tile++) {
            int rowsHere = Math.min(LutLayout.TILE, c.rows() - tile * LutLayout.TILE);
            for (int r = 0; r < rowsHere; r++) {
                MemorySegment.copy(m.codes(), ValueLayout.JAVA_BYTE, (long) (tile * LutLayout.TILE + r) * row.length, row, 0, row.length);
                if (codes[r] == null) codes[r] = new int[c.cols()];
                for (int col = 0; col < c.cols(); col++) codes[r][col] = CodeLayout.code(row, 0, col, bits);
            }
            long at = tile * l.tileBytes();
            for (int k = 0; k < l.groups(); k++) {
                for (int r = 0; r < rowsHere; r++) {
                    long group = (long) (tile * LutLayout.TILE + r) * c.groupsPerRow() + k;
                    MemorySegment.copy(m.scales(), group * scaleBytes, out, at + (long) r * scaleBytes, scaleBytes);
                    if (l.hasOffsets()) MemorySegment.copy(m.offsets(), group * 2, out, at + (long) LutLayout.TILE * scaleBytes + 2L * r, 2);
                }
                at += l.metaBytes();
                for (int j = l.firstBlock(k); j < l.endBlock(k); j++) {
                    int a0 = j * LutLayout.BLOCK, n = l.blockInputs(j);
                    for (int p = 0; p < l.blockPositions(j); p += 2, at += LutLayout.TILE) {
                        for (int r = 0; r < rowsHere; r++) {
                            int lo = index(codes[r], a0, n, p, g, bits), hi = index(codes[r], a0, n, p + 1, g, bits);
                            out.set(ValueLayout.JAVA_BYTE, at + LutLayout.chunkByte(r), (byte) (lo | hi << 4));
                        }
                    }
                }
            }
        }
        return new LutMatrix(l, m.levels(), out);
    }

    /** The 4-bit index of position p of a block: the codes of its g inputs, input d in bits d·bits.. (0 past the end). */
    private static int index(int[] codes, int a0, int n, int p, int g, int bits) {
        int index = 0;
        for (int d = 0; d < g; d++) {
            int input = p * g + d;
            if (input < n) index |= codes[a0 + input] << (d * bits);
        }
        return index;
    }
}
