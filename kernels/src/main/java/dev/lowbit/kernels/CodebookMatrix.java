package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * The reference dequantizing weight matrix for every grid: weight = scale · levels[code] + offset, with one
 * scale (and optionally one offset) per group. Integer, minifloat, NF4, MX and explicit-codebook grids differ
 * only in their {@code levels} and scale format. Correct and simple, not fast: it decodes each row to floats
 * and takes a dot product.
 */
public final class CodebookMatrix implements WeightMatrix {
    private static final int MIN_WORK_PER_THREAD = 1 << 14;

    private final CodeLayout layout;
    private final float[] levels;
    private final ScaleFormat scaleFormat;
    private final MemorySegment codes;
    private final MemorySegment scales;
    private final MemorySegment offsets; // null when symmetric

    public CodebookMatrix(CodeLayout layout, float[] levels, ScaleFormat scaleFormat,
                          MemorySegment codes, MemorySegment scales, MemorySegment offsets) {
        if (levels.length != 1 << layout.bits()) {
            throw new IllegalArgumentException(levels.length + " levels for " + layout.bits() + "-bit codes");
        }
        for (float v : levels) if (!Float.isFinite(v)) throw new IllegalArgumentException("non-finite codebook level " + v);
        if (codes.byteSize() != layout.codeBytes()) {
            throw new IllegalArgumentException("codes take " + codes.byteSize() + " bytes, layout needs " + layout.codeBytes());
        }
        if (scales.byteSize() != layout.groups() * scaleFormat.bytes()) {
            throw new IllegalArgumentException("scales take " + scales.byteSize() + " bytes, layout needs " + layout.groups() * scaleFormat.bytes());
        }
        if (offsets != null && offsets.byteSize() != layout.groups() * 2) {
            throw new IllegalArgumentException("offsets take " + offsets.byteSize() + " bytes, layout needs " + layout.groups() * 2);
        }
        this.layout = layout;
        this.levels = levels.clone();
        this.scaleFormat = scaleFormat;
        this.codes = codes;
        this.scales = scales;
        this.offsets = offsets;
    }

    public CodeLayout layout() { return layout; }
    public float[] levels() { return levels.clone(); }
    public ScaleFormat scaleFormat() { return scaleFormat; }
    public MemorySegment codes() { return codes; }
    public MemorySegment scales() { return scales; }
    public MemorySegment offsets() { return offsets; }

    @Override public int rows() { return layout.rows(); }
    @Override public int cols() { return layout.cols(); }
    @Override public long byteSize() { return codes.byteSize() + scales.byteSize() + (offsets == null ? 0 : offsets.byteSize()); }
    @Override public String typeName() { return "codebook" + layout.bits() + "/g" + layout.groupSize(); }

    @Override
    public void readRow(int row, float[] dst, int offset) {
        java.util.Objects.checkIndex(row, layout.rows());
        decodeRow(row, new byte[layout.rowBytes()], dst, offset);
    }

    private void decodeRow(int row, byte[] packed, float[] dst, int offset) {
        int cols = layout.cols(), g = layout.groupSize(), bits = layout.bits(), groups = layout.groupsPerRow();
        MemorySegment.copy(codes, ValueLayout.JAVA_BYTE, (long) row * packed.length, packed, 0, packed.length);
        for (int k = 0; k < groups; k++) {
            long group = (long) row * groups + k;
            float scale = scaleFormat.read(scales, group);
            float shift = offsets == null ? 0f : ScaleFormat.F16.read(offsets, group);
            for (int c = k * g, end = Math.min(cols, c + g); c < end; c++) {
                dst[offset + c] = scale * levels[CodeLayout.code(packed, 0, c, bits)] + shift;
            }
        }
    }

    @Override
    public void multiply(float[] x, float[] y, int batch, WorkerPool pool) {
        int rows = layout.rows(), cols = layout.cols();
        pool.parallelFor(rows, Math.max(1, MIN_WORK_PER_THREAD / (cols * batch) + 1), (from, to) -> {
            byte[] packed = new byte[layout.rowBytes()];
            float[] w = new float[cols];
            for (int r = from; r < to; r++) {
                decodeRow(r, packed, w, 0);
                for (int t = 0; t < batch; t++) y[t * rows + r] = VectorOps.dot(w, 0, x, t * cols, cols);
            }
        });
    }
}
