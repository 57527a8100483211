package dev.lowbit.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Integer codes of 3, 5, 6 or 8 bits on the table-lookup kernel, which takes 1, 2 and 4 bits: each code is split
 * bit-serially (as T-MAC does) into a low part l of L bits and a high part h, c = 2^L·h + l, with (bits, L) = (3, 2),
 * (5, 4), (6, 4), (8, 4). For affine levels b + a·c, a weight is s·(b + a·c) + o = s·(a·l) + (s·b + o) + s·(2^L·a·h),
 * so the low matrix keeps the group's scale and takes the offset s·b + o, the high matrix keeps the scale with
 * levels 2^L·a·{0, 1, …}, and y = L·x + H·x.
 *
 * <p>The packed parts are built from the stored codebook on first use (after a {@code .lowbit} tensor's checksum is
 * verified), so files keep the plain row-stream layout; rows read back from the codebook itself.
 */
public final class SplitLutMatrix implements WeightMatrix {
    private final CodebookMatrix source;
    private final int lowBits;
    /** The low part's offsets: s·b + o per group (the stored offsets when b = 0). */
    private final MemorySegment lowOffsets;
    private volatile LutMatrix low, high;

    private SplitLutMatrix(CodebookMatrix source, int lowBits, MemorySegment lowOffsets) {
        this.source = source;
        this.lowBits = lowBits;
        this.lowOffsets = lowOffsets;
    }

    /** Bits of the low part for codes of {@code bits} bits, or 0 when they are not split. */
    static int lowBits(int bits) {
        return switch (bits) {
            case 3 -> 2;
            case 5, 6, 8 -> 4;
            default -> 0;
        };
    }

    /**
     * A split matrix over {@code m} when its codes have 3, 5, 6 or 8 bits with affine levels, its groups suit the
     * table-lookup layout and every group's offset s·b + o is exact in f16; else null.
     */
    public static SplitLutMatrix over(CodebookMatrix m) {
        CodeLayout c = m.layout();
        int lowBits = lowBits(c.bits());
        if (lowBits == 0 || m.scaleFormat() != ScaleFormat.F16 || !LutLayout.supportsGroup(c.groupSize(), c.cols())) return null;
        float[] levels = m.levels();
        float a = levels[1] - levels[0];
        for (int i = 0; i < levels.length; i++) if (levels[i] != levels[0] + a * i) return null;
        if (levels[0] == 0) return new SplitLutMatrix(m, lowBits, m.offsets());
        // Fold s·b into the low part's offsets; each must round-trip through f16.
        MemorySegment combined = Arena.ofAuto().allocate(c.groups() * 2, 64);
        for (long g = 0; g < c.groups(); g++) {
            float o = ScaleFormat.F16.read(m.scales(), g) * levels[0] + (m.offsets() == null ? 0 : ScaleFormat.F16.read(m.offsets(), g));
            if (ScaleFormat.F16.round(o) != o) return null;
            ScaleFormat.F16.write(combined, g, o);
        }
        return new SplitLutMatrix(m, lowBits, combined);
    }

    /** The codebook it runs (what a file stores). */
    public CodebookMatrix codebook() {
        return source;
    }

    /** "2+1", "4+4", …: the bits of the two passes. */
    public String passes() {
        return lowBits + "+" + (source.layout().bits() - lowBits);
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
        if (high == null) build(pool);
        low.multiply(x, y, batch, pool);
        float[] h = new float[batch * rows()];
        high.multiply(x, h, batch, pool);
        VectorOps.add(y, 0, h, 0, h.length);
    }

    private synchronized void build(WorkerPool pool) {
        if (high != null) return;
        int bits = source.layout().bits(), highBits = bits - lowBits;
        float a = source.levels()[1] - source.levels()[0];
        low = LutPacker.pack(source, 0, lowBits, steps(1 << lowBits, a), lowOffsets, pool);
        high = LutPacker.pack(source, lowBits, highBits, steps(1 << highBits, a * (1 << lowBits)), null, pool);
    }

    /** {0, a, 2a, …} with {@code count} levels. */
    private static float[] steps(int count, float a) {
        float[] levels = new float[count];
        for (int i = 0; i < count; i++) levels[i] = a * i;
        return levels;
    }
}
