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
        return pack(m, WorkerPool.SERIAL);
    }

    /** {@link #pack(CodebookMatrix)} with the tiles packed in parallel on {@code pool}. */
    public static LutMatrix pack(CodebookMatrix m, WorkerPool pool) {
        return pack(m, 0, m.layout().bits(), m.levels(), m.offsets(), pool);
    }

    /**
     * The same weights in the other order of a tile ({@link LutLayout#scalesFirst}): each group's scales and
     * chunks are copied to where the target order puts them.
     */
    public static LutMatrix relayout(LutMatrix m, boolean scalesFirst) {
        LutLayout from = m.layout();
        LutLayout to = new LutLayout(from.rows(), from.cols(), from.bits(), from.groupSize(), from.scaleFormat(), from.hasOffsets(), scalesFirst);
        MemorySegment out = WeightMemory.allocate(to.totalBytes());
        for (int t = 0; t < from.tiles(); t++) {
            long base = t * from.tileBytes();
            for (int k = 0; k < from.groups(); k++) {
                MemorySegment.copy(m.data(), base + from.metaOffset(k), out, base + to.metaOffset(k), from.metaBytes());
                MemorySegment.copy(m.data(), base + from.chunkOffset(k), out, base + to.chunkOffset(k), from.chunkBytes(k));
            }
        }
        return new LutMatrix(to, m.levels(), out);
    }

    /**
     * Packs bits {@code shift..shift+bits−1} of each of {@code source}'s codes as a {@code bits}-bit matrix with
     * {@code levels}, the source's scales and {@code offsets} (null: none): the whole matrix when shift = 0 and
     * bits are the source's, one pass of a {@link SplitLutMatrix} otherwise. Tiles are independent and packed in
     * parallel on {@code pool}, each assembled in a buffer and copied out at once.
     */
    static LutMatrix pack(CodebookMatrix source, int shift, int bits, float[] levels, MemorySegment offsets, WorkerPool pool) {
        CodeLayout c = source.layout();
        LutLayout l = new LutLayout(c.rows(), c.cols(), bits, c.groupSize(), source.scaleFormat(), offsets != null);
        MemorySegment out = WeightMemory.allocate(l.totalBytes());
        pool.parallelFor(l.tiles(), 1, (from, to) -> {
            byte[] row = new byte[c.rowBytes()], tile = new byte[Math.toIntExact(l.tileBytes())];
            int[][] codes = new int[LutLayout.TILE][c.cols()];
            for (int t = from; t < to; t++) {
                packTile(source, shift, offsets, l, t, row, codes, tile);
                MemorySegment.copy(tile, 0, out, ValueLayout.JAVA_BYTE, t * l.tileBytes(), tile.length);
            }
        });
        return new LutMatrix(l, levels, out);
    }

    private static void packTile(CodebookMatrix source, int shift, MemorySegment offsets, LutLayout l, int tile, byte[] row, int[][] codes, byte[] out) {
        CodeLayout c = source.layout();
        int g = l.inputsPerPosition(), bits = l.bits(), mask = (1 << bits) - 1, scaleBytes = l.scaleFormat().bytes();
        int rowsHere = Math.min(LutLayout.TILE, c.rows() - tile * LutLayout.TILE);
        java.util.Arrays.fill(out, (byte) 0); // rows past the matrix's last keep zero codes and scales
        for (int r = 0; r < rowsHere; r++) {
            MemorySegment.copy(source.codes(), ValueLayout.JAVA_BYTE, (long) (tile * LutLayout.TILE + r) * row.length, row, 0, row.length);
            for (int col = 0; col < c.cols(); col++) codes[r][col] = (CodeLayout.code(row, 0, col, c.bits()) >>> shift) & mask;
        }
        for (int k = 0; k < l.groups(); k++) {
            int meta = Math.toIntExact(l.metaOffset(k));
            for (int r = 0; r < rowsHere; r++) {
                long group = (long) (tile * LutLayout.TILE + r) * c.groupsPerRow() + k;
                MemorySegment.copy(source.scales(), ValueLayout.JAVA_BYTE, group * scaleBytes, out, meta + r * scaleBytes, scaleBytes);
                if (offsets != null) MemorySegment.copy(offsets, ValueLayout.JAVA_BYTE, group * 2, out, meta + LutLayout.TILE * scaleBytes + 2 * r, 2);
            }
            int at = Math.toIntExact(l.chunkOffset(k));
            for (int j = l.firstBlock(k); j < l.endBlock(k); j++) {
                int a0 = j * LutLayout.BLOCK, n = l.blockInputs(j);
                for (int p = 0; p < l.blockPositions(j); p += 2, at += LutLayout.TILE) {
                    for (int r = 0; r < rowsHere; r++) {
                        int lo = index(codes[r], a0, n, p, g, bits), hi = index(codes[r], a0, n, p + 1, g, bits);
                        out[at + LutLayout.chunkByte(r)] = (byte) (lo | hi << 4);
                    }
                }
            }
        }
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
