package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The scalar reference of {@link LutLevelDotAvx2Kernel}: per block of 32 inputs and row, the exact integer
 * D = Σ q · k(code), then out = scale · (D · a) + out with a = unit · the block's input step; parts summed on their
 * own and added in order.
 */
final class LutLevelDotScalarKernel implements LutKernel {

    @Override public String name() { return "scalar-level-dot"; }
    @Override public int tilesPerUnit() { return 1; }
    @Override public LutKernel reference() { return this; }

    @Override
    public LutKernel forMatrix(LutLayout layout, float[] levels) {
        return LutLevelDotAvx2Kernel.supports(layout, levels) ? this : LutKernels.SCALAR.forMatrix(layout, levels);
    }

    @Override
    public InputForm inputForm(LutLayout layout, float[] levels) {
        return new Q8Input.Form(layout.cols(), LutLevelDotAvx2Kernel.INPUT_MAX);
    }

    @Override
    public void gemv(LutMatrix m, int tile, int part, PreparedInput prepared, float[] y, int yOff) {
        Q8Input in = (Q8Input) prepared;
        LutLayout layout = m.layout();
        LutGeometry g = m.geometry();
        MemorySegment data = m.data();
        byte[] k = LutLevelDotAvx2Kernel.integerLevels(m.levelsView());
        float unit = LutLevelDotAvx2Kernel.unit(m.levelsView());
        long base = tile * g.tileBytes;
        float[] out = new float[LutLayout.TILE], meta = new float[2 * LutLayout.TILE];
        int[] d = new int[LutLayout.TILE];
        for (int group = g.partGroups[part]; group < g.partGroups[part + 1]; group++) {
            LutScalarKernel.decodeMeta(layout, data, base + g.metaOffset[group], meta);
            long at = base + g.chunkOffset[group];
            for (int j = g.groupBlocks[group]; j < g.groupBlocks[group + 1]; j++) {
                java.util.Arrays.fill(d, 0);
                for (int i = j * Q8Input.BLOCK, n = i + g.blockPositions[j]; i < n; i += 2, at += LutLayout.TILE) {
                    for (int r = 0; r < LutLayout.TILE; r++) {
                        int b = data.get(ValueLayout.JAVA_BYTE, at + LutLayout.chunkByte(r)) & 0xFF;
                        d[r] += in.q[i] * k[b & 15] + in.q[i + 1] * k[b >>> 4];
                    }
                }
                float a = unit * in.scale[j];
                for (int r = 0; r < LutLayout.TILE; r++) out[r] = Math.fma(d[r] * a, meta[r], out[r]);
            }
        }
        int r0 = tile * LutLayout.TILE;
        System.arraycopy(out, 0, y, yOff + r0, Math.min(LutLayout.TILE, layout.rows() - r0));
    }
}
