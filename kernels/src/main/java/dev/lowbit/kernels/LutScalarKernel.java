package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The scalar reference of the table-lookup GEMV: every vector kernel must equal it bit for bit on the same tables
 * (the same integer sums, then per span out = offset · Σx + (scale · (sum · step + bias) + out), parts summed on
 * their own and added in order). Also the kernel of machines without usable vectors.
 */
final class LutScalarKernel implements LookupKernel {

    @Override public String name() { return "scalar"; }
    @Override public int tableStride() { return 16; }
    @Override public int tilesPerUnit() { return 1; }

    @Override
    public void gemv(LutMatrix m, int tile, int part, LutTables t, float[] y, int yOff) {
        LutLayout layout = m.layout();
        LutGeometry g = m.geometry();
        MemorySegment data = m.data();
        long base = tile * g.tileBytes;
        float[] out = new float[LutLayout.TILE], meta = new float[2 * LutLayout.TILE];
        int[] acc = new int[LutLayout.TILE];
        int pos = g.groupPosition[g.partGroups[part]];
        for (int k = g.partGroups[part]; k < g.partGroups[part + 1]; k++) {
            decodeMeta(layout, data, base + g.metaOffset[k], meta);
            long at = base + g.chunkOffset[k];
            for (int s = g.groupSpans[k]; s < g.groupSpans[k + 1]; s++) {
                java.util.Arrays.fill(acc, 0);
                for (int p = 0, n = g.spanPositions[s]; p < n; p += 2, pos += 2, at += LutLayout.TILE) {
                    for (int r = 0; r < LutLayout.TILE; r++) {
                        int b = data.get(ValueLayout.JAVA_BYTE, at + LutLayout.chunkByte(r)) & 0xFF;
                        acc[r] += (t.tables[pos * t.stride + (b & 15)] & 0xFF) + (t.tables[(pos + 1) * t.stride + (b >>> 4)] & 0xFF);
                    }
                }
                for (int r = 0; r < LutLayout.TILE; r++) {
                    out[r] = Math.fma(Math.fma(acc[r], t.spanScale[s], t.spanBias[s]), meta[r], out[r]);
                    if (layout.hasOffsets()) out[r] = Math.fma(meta[64 + r], t.spanSum[s], out[r]);
                }
            }
        }
        int r0 = tile * LutLayout.TILE;
        System.arraycopy(out, 0, y, yOff + r0, Math.min(LutLayout.TILE, layout.rows() - r0));
    }

    /**
     * A group's 64 scales of one tile, starting {@code at} bytes into the data, into meta[0..64) in row order, and its
     * 64 offsets into meta[64..128) (left as they are when the layout has none).
     */
    static void decodeMeta(LutLayout layout, MemorySegment data, long at, float[] meta) {
        ScaleFormat format = layout.scaleFormat();
        format.readAll(data, at / format.bytes(), LutLayout.TILE, meta, 0);
        if (layout.hasOffsets()) ScaleFormat.F16.readAll(data, (at + (long) LutLayout.TILE * format.bytes()) / 2, LutLayout.TILE, meta, 64);
    }
}
