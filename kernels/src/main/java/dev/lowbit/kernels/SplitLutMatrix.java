package dev.lowbit.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * 3-bit integer codes on the table-lookup kernel, which takes 1, 2 and 4 bits: each code c = 4h + l is split into a
 * 2-bit part l and a 1-bit part h (T-MAC's bit-serial form). For affine levels b + a·c, a weight is
 * s·(b + a·c) + o = s·(a·l) + (s·b + o) + s·(4a·h), so the 2-bit matrix keeps the group's scale and takes the offset
 * s·b + o, the 1-bit matrix keeps the scale with levels {0, 4a}, and y = L·x + H·x.
 *
 * <p>The packed parts are built from the stored codebook on first use (after a {@code .lowbit} tensor's checksum is
 * verified), so files keep the plain 3-bit layout; rows read back from the codebook itself.
 */
public final class SplitLutMatrix implements WeightMatrix {
    private final CodebookMatrix source;
    /** The 2-bit part's offsets: s·b + o per group (the stored offsets when b = 0). */
    private final MemorySegment lowOffsets;
    private volatile LutMatrix low, high;

    private SplitLutMatrix(CodebookMatrix source, MemorySegment lowOffsets) {
        this.source = source;
        this.lowOffsets = lowOffsets;
    }

    /**
     * A split matrix over {@code m} when its codes are 3-bit with affine levels, its groups suit the table-lookup
     * layout and every group's offset s·b + o is exact in f16; else null.
     */
    public static SplitLutMatrix over(CodebookMatrix m) {
        CodeLayout c = m.layout();
        if (c.bits() != 3 || m.scaleFormat() != ScaleFormat.F16 || !LutLayout.supportsGroup(c.groupSize(), c.cols())) return null;
        float[] levels = m.levels();
        float a = levels[1] - levels[0];
        for (int i = 0; i < 8; i++) if (levels[i] != levels[0] + a * i) return null;
        if (levels[0] == 0) return new SplitLutMatrix(m, m.offsets());
        // Fold s·b into the 2-bit part's offsets; each must round-trip through f16.
        MemorySegment combined = Arena.ofAuto().allocate(c.groups() * 2, 64);
        for (long g = 0; g < c.groups(); g++) {
            float o = ScaleFormat.F16.read(m.scales(), g) * levels[0] + (m.offsets() == null ? 0 : ScaleFormat.F16.read(m.offsets(), g));
            if (ScaleFormat.F16.round(o) != o) return null;
            ScaleFormat.F16.write(combined, g, o);
        }
        return new SplitLutMatrix(m, combined);
    }

    /** The 3-bit codebook it runs (what a file stores). */
    public CodebookMatrix codebook() {
        return source;
    }

    @Override public int rows() { return source.rows(); }
    @Override public int cols() { return source.cols(); }
    @Override public long byteSize() { return source.byteSize(); }
    @Override public String typeName() { return source.typeName(); }

    @Override
    public void readRow(int row, float[] dst, int offset) {
        source.readRow(row, dst, offset);
    }

    @Override
    public void multiply(float[] x, float[] y, int batch, WorkerPool pool) {
        if (high == null) build();
        low.multiply(x, y, batch, pool);
        float[] h = new float[batch * rows()];
        high.multiply(x, h, batch, pool);
        VectorOps.add(y, 0, h, 0, h.length);
    }

    private synchronized void build() {
        if (high != null) return;
        CodeLayout c = source.layout();
        float[] levels = source.levels();
        float a = levels[1] - levels[0];
        CodeLayout lowLayout = new CodeLayout(c.rows(), c.cols(), 2, c.groupSize());
        CodeLayout highLayout = new CodeLayout(c.rows(), c.cols(), 1, c.groupSize());
        Arena arena = Arena.ofAuto();
        MemorySegment lowCodes = arena.allocate(lowLayout.codeBytes(), 64), highCodes = arena.allocate(highLayout.codeBytes(), 64);
        byte[] row = new byte[c.rowBytes()], l = new byte[lowLayout.rowBytes()], h = new byte[highLayout.rowBytes()];
        for (int r = 0; r < c.rows(); r++) {
            MemorySegment.copy(source.codes(), ValueLayout.JAVA_BYTE, (long) r * row.length, row, 0, row.length);
            java.util.Arrays.fill(l, (byte) 0);
            java.util.Arrays.fill(h, (byte) 0);
            for (int col = 0; col < c.cols(); col++) {
                int code = CodeLayout.code(row, 0, col, 3);
                CodeLayout.setCode(l, 0, col, 2, code & 3);
                CodeLayout.setCode(h, 0, col, 1, code >> 2);
            }
            MemorySegment.copy(l, 0, lowCodes, ValueLayout.JAVA_BYTE, (long) r * l.length, l.length);
            MemorySegment.copy(h, 0, highCodes, ValueLayout.JAVA_BYTE, (long) r * h.length, h.length);
        }
        low = LutPacker.pack(new CodebookMatrix(lowLayout, new float[] {0, a, 2 * a, 3 * a}, ScaleFormat.F16, lowCodes, source.scales(), lowOffsets));
        high = LutPacker.pack(new CodebookMatrix(highLayout, new float[] {0, 4 * a}, ScaleFormat.F16, highCodes, source.scales(), null));
    }
}
