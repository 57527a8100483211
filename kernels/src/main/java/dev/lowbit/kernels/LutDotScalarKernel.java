package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The scalar reference of the dot-product kernels: per block of 32 inputs and row, the exact integer D = Σ q · k(c),
 * then out = scale · (D · a + c₀) + out and, with offsets, out = offset · Σx + out; parts summed on their own and
 * added in order. For evenly spaced codes ({@link LutDotAvx2Kernel}) k(c) = c − 8, a = step · the block's input
 * scale and c₀ = centre · the block's input scale · Σq; for small integer levels ({@link LutLevelDotAvx2Kernel})
 * k(c) is the level in units, a = unit · the block's input scale and c₀ = 0.
 */
final class LutDotScalarKernel implements LutKernel {

    @Override public String name() { return "scalar-dot"; }
    @Override public int tilesPerUnit() { return 1; }
    @Override public LutKernel reference() { return this; }

    /** Codes it does not take run on the lookup kernel. */
    @Override
    public LutKernel forMatrix(LutLayout layout, float[] levels) {
        boolean dot = LutDotAvx2Kernel.supports(layout, levels) || LutLevelDotAvx2Kernel.supports(layout, levels);
        return dot ? this : LutKernels.SCALAR.forMatrix(layout, levels);
    }

    @Override
    public InputForm inputForm(LutLayout layout, float[] levels) {
        return LutLevelDotAvx2Kernel.supports(layout, levels) ? LutKernels.LEVEL_DOT_AVX2.inputForm(layout, levels) : new Q8Input.Form(layout.cols());
    }

    @Override
    public void gemv(LutMatrix m, int tile, int part, PreparedInput prepared, float[] y, int yOff) {
        Q8Input in = (Q8Input) prepared;
        LutLayout layout = m.layout();
        LutGeometry g = m.geometry();
        MemorySegment data = m.data();
        float[] levels = m.levelsView();
        boolean evenlySpaced = LutDotAvx2Kernel.supports(layout, levels);
        float unit = evenlySpaced ? LutDotAvx2Kernel.step(levels) : LutLevelDotAvx2Kernel.unit(levels);
        float centre = evenlySpaced ? LutDotAvx2Kernel.centre(levels, unit) : 0;
        byte[] integer = new byte[16];
        if (!evenlySpaced) LutLevelDotAvx2Kernel.integerLevels(levels, integer);
        int[] level = new int[16];
        for (int c = 0; c < 16; c++) level[c] = evenlySpaced ? c - 8 : integer[c];
        long base = tile * g.tileBytes;
        float[] out = new float[LutLayout.TILE], meta = new float[2 * LutLayout.TILE];
        int[] d = new int[LutLayout.TILE];
        for (int k = g.partGroups[part]; k < g.partGroups[part + 1]; k++) {
            LutScalarKernel.decodeMeta(layout, data, base + g.metaOffset[k], meta);
            long at = base + g.chunkOffset[k];
            for (int j = g.groupBlocks[k]; j < g.groupBlocks[k + 1]; j++) {
                java.util.Arrays.fill(d, 0);
                for (int i = j * Q8Input.BLOCK, n = i + g.blockPositions[j]; i < n; i += 2, at += LutLayout.TILE) {
                    for (int r = 0; r < LutLayout.TILE; r++) {
                        int b = data.get(ValueLayout.JAVA_BYTE, at + LutLayout.chunkByte(r)) & 0xFF;
                        d[r] += in.q[i] * level[b & 15] + in.q[i + 1] * level[b >>> 4];
                    }
                }
                float a = unit * in.scale[j], c = centre * in.scale[j] * in.sum[j];
                for (int r = 0; r < LutLayout.TILE; r++) {
                    out[r] = Math.fma(meta[r], Math.fma(d[r], a, c), out[r]);
                    if (layout.hasOffsets()) out[r] = Math.fma(meta[64 + r], in.floatSum[j], out[r]);
                }
            }
        }
        int r0 = tile * LutLayout.TILE;
        System.arraycopy(out, 0, y, yOff + r0, Math.min(LutLayout.TILE, layout.rows() - r0));
    }
}
