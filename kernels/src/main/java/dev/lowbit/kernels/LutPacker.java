package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

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
     * bits are the source's, one pass of a {@link SplitLutMatrix} otherwise.
     */
    static LutMatrix pack(CodebookMatrix source, int shift, int bits, float[] levels, MemorySegment offsets, WorkerPool pool) {
        return pack(source, List.of(new Pass(shift, bits, levels, offsets)), pool).getFirst();
    }

    /** What one pass packs: bits {@code shift..shift+bits−1} of each code, with these levels and offsets (null: none). */
    record Pass(int shift, int bits, float[] levels, MemorySegment offsets) {
        Pass {
            if (!LutLayout.supportsBits(bits) || shift < 0 || shift + bits > 8) throw new IllegalArgumentException("pass of bits " + shift + ".." + (shift + bits - 1));
        }
    }

    /**
     * Packs every pass from one reading of the codes. Tiles are independent and packed in parallel on {@code pool}:
     * a tile's codes are unpacked to a byte each and its rows' scales (and offsets) read once, then each pass's tile
     * is assembled in a buffer with plain array stores and copied out at once (docs/STARTUP.md: the split classifier
     * is packed before the first token).
     */
    static List<LutMatrix> pack(CodebookMatrix source, List<Pass> passes, WorkerPool pool) {
        CodeLayout c = source.layout();
        List<LutLayout> layouts = passes.stream()
                .map(p -> new LutLayout(c.rows(), c.cols(), p.bits(), c.groupSize(), source.scaleFormat(), p.offsets() != null)).toList();
        List<MemorySegment> outs = layouts.stream().map(l -> WeightMemory.allocate(l.totalBytes())).toList();
        int scaleRowBytes = c.groupsPerRow() * source.scaleFormat().bytes(), offsetRowBytes = c.groupsPerRow() * 2;
        pool.parallelFor(layouts.getFirst().tiles(), 1, (from, to) -> {
            byte[] row = new byte[c.rowBytes()];
            byte[][] codes = new byte[LutLayout.TILE][c.cols() + PAD], scales = new byte[LutLayout.TILE][scaleRowBytes],
                    offsets = new byte[LutLayout.TILE][offsetRowBytes];
            byte[][] tiles = layouts.stream().map(l -> new byte[Math.toIntExact(l.tileBytes())]).toArray(byte[][]::new);
            for (int t = from; t < to; t++) {
                int rowsHere = Math.min(LutLayout.TILE, c.rows() - t * LutLayout.TILE);
                for (int r = 0; r < rowsHere; r++) {
                    long at = (long) t * LutLayout.TILE + r;
                    MemorySegment.copy(source.codes(), ValueLayout.JAVA_BYTE, at * row.length, row, 0, row.length);
                    c.readCodes(row, codes[r]); // the padding after the codes stays zero
                    MemorySegment.copy(source.scales(), ValueLayout.JAVA_BYTE, at * scaleRowBytes, scales[r], 0, scaleRowBytes);
                }
                for (int i = 0; i < passes.size(); i++) {
                    Pass pass = passes.get(i);
                    if (pass.offsets() != null) {
                        for (int r = 0; r < rowsHere; r++) {
                            long at = (long) t * LutLayout.TILE + r;
                            MemorySegment.copy(pass.offsets(), ValueLayout.JAVA_BYTE, at * offsetRowBytes, offsets[r], 0, offsetRowBytes);
                        }
                    }
                    packTile(pass, layouts.get(i), rowsHere, codes, scales, pass.offsets() == null ? null : offsets, tiles[i]);
                    MemorySegment.copy(tiles[i], 0, outs.get(i), ValueLayout.JAVA_BYTE, t * layouts.get(i).tileBytes(), tiles[i].length);
                }
            }
        });
        List<LutMatrix> packed = new ArrayList<>();
        for (int i = 0; i < passes.size(); i++) packed.add(new LutMatrix(layouts.get(i), passes.get(i).levels(), outs.get(i)));
        return packed;
    }

    /** Zero codes past a row's end: a short last block's padded positions read them (a position spans at most 4 inputs). */
    private static final int PAD = 8;

    /** One pass's tile from its rows' codes, scales and offsets (null: none), each row's groups in order. */
    private static void packTile(Pass pass, LutLayout l, int rowsHere, byte[][] codes, byte[][] scales, byte[][] offsets, byte[] out) {
        int g = l.inputsPerPosition(), shift = pass.shift(), bits = pass.bits(), mask = (1 << bits) - 1, sb = l.scaleFormat().bytes();
        java.util.Arrays.fill(out, (byte) 0); // rows past the matrix's last keep zero codes and scales
        for (int k = 0; k < l.groups(); k++) {
            int meta = Math.toIntExact(l.metaOffset(k));
            for (int r = 0; r < rowsHere; r++) {
                for (int b = 0; b < sb; b++) out[meta + r * sb + b] = scales[r][k * sb + b];
                if (offsets != null) {
                    out[meta + LutLayout.TILE * sb + 2 * r] = offsets[r][2 * k];
                    out[meta + LutLayout.TILE * sb + 2 * r + 1] = offsets[r][2 * k + 1];
                }
            }
            int at = Math.toIntExact(l.chunkOffset(k));
            for (int j = l.firstBlock(k); j < l.endBlock(k); j++) {
                for (int p = 0, positions = l.blockPositions(j); p < positions; p += 2, at += LutLayout.TILE) {
                    int even = j * LutLayout.BLOCK + p * g;
                    for (int r = 0; r < rowsHere; r++) {
                        byte[] row = codes[r];
                        // The even position's g inputs in the low nibble, the odd one's in the high. A loop over g rather
                        // than a case per g: one compiled form for every pass (a switch was recompiled per pass, before
                        // the first token, when a split matrix's second pass took the branch its first never had).
                        int index = 0;
                        for (int d = 0; d < g; d++) {
                            index |= (row[even + d] >>> shift & mask) << (d * bits) | (row[even + g + d] >>> shift & mask) << (4 + d * bits);
                        }
                        out[at + LutLayout.chunkByte(r)] = (byte) index;
                    }
                }
            }
        }
    }
}
