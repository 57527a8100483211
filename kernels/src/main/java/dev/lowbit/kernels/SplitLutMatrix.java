package dev.lowbit.kernels;

/**
 * Integer codes of 3, 5, 6 or 8 bits on the table-lookup kernel, which takes 1, 2 and 4 bits: each code is split
 * bit-serially (as T-MAC does) into a low part l of L bits and a high part h, c = 2^L·h + l, with (bits, L) = (3, 2),
 * (5, 4), (6, 4), (8, 4). For affine levels b + a·c, a weight is s·(b + a·c) + o = (s·(a·l) + o) + s·(b + 2^L·a·h),
 * so the low matrix keeps the group's scale and offset with levels a·{0, 1, …}, the high matrix keeps the scale
 * with levels b + 2^L·a·{0, 1, …} (no offsets: the kernel takes any levels), and y = L·x + H·x.
 *
 * <p>The packed parts are built from the stored codebook on first use (after a {@code .lowbit} tensor's checksum is
 * verified), so files keep the plain row-stream layout; rows read back from the codebook itself.
 */
public final class SplitLutMatrix implements WeightMatrix {
    private final CodebookMatrix source;
    private final int lowBits;
    private final float[] lowLevels, highLevels;
    private final SplitForm form;
    private volatile LutMatrix low, high;

    private SplitLutMatrix(CodebookMatrix source, int lowBits) {
        this.source = source;
        this.lowBits = lowBits;
        CodeLayout c = source.layout();
        int highBits = c.bits() - lowBits;
        float b = source.levels()[0], a = source.levels()[1] - b;
        // b goes to the high part's levels rather than into the low part's offsets: symmetric grids (b ≠ 0, no
        // offsets) then need none, and their low pass reads 4.5 instead of 5 bits per weight at 4 bits, g32.
        lowLevels = steps(1 << lowBits, 0, a);
        highLevels = steps(1 << highBits, b, a * (1 << lowBits));
        form = new SplitForm(passForm(new LutLayout(c.rows(), c.cols(), lowBits, c.groupSize(), ScaleFormat.F16, source.offsets() != null), lowLevels),
                passForm(new LutLayout(c.rows(), c.cols(), highBits, c.groupSize(), ScaleFormat.F16, false), highLevels));
    }

    /** The input form of a pass, as the matrix {@link #build} packs will have it (they are packed on first use). */
    private static InputForm passForm(LutLayout layout, float[] levels) {
        return LutKernels.chosen().forMatrix(layout, levels).inputForm(layout, levels);
    }

    /** The input of both passes, and room for the high pass's outputs. */
    private record SplitForm(InputForm low, InputForm high) implements InputForm {
        @Override
        public PreparedInput newInput() {
            return new SplitInput(low.newInput(), high.newInput());
        }
    }

    private static final class SplitInput implements PreparedInput {
        final PreparedInput low, high;
        float[] highOut = new float[0];

        SplitInput(PreparedInput low, PreparedInput high) {
            this.low = low;
            this.high = high;
        }

        @Override
        public void prepare(float[] x) {
            low.prepare(x);
            high.prepare(x);
        }

        @Override
        public float[] floats() {
            return low.floats();
        }
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
     * A split matrix over {@code m} when its codes have 3, 5, 6 or 8 bits with affine levels and its groups suit
     * the table-lookup layout; else null.
     */
    public static SplitLutMatrix over(CodebookMatrix m) {
        CodeLayout c = m.layout();
        int lowBits = lowBits(c.bits());
        if (lowBits == 0 || m.scaleFormat() != ScaleFormat.F16 || !LutLayout.supportsGroup(c.groupSize(), c.cols())) return null;
        float[] levels = m.levels();
        float a = levels[1] - levels[0];
        for (int i = 0; i < levels.length; i++) if (levels[i] != levels[0] + a * i) return null;
        return new SplitLutMatrix(m, lowBits);
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
    public InputForm inputForm() {
        return form;
    }

    @Override
    public void multiply(float[] x, float[] y, int batch, WorkerPool pool) {
        if (high == null) build(pool);
        float[] h = new float[batch * rows()];
        low.multiply(x, y, batch, pool);
        high.multiply(x, h, batch, pool);
        VectorOps.add(y, 0, h, 0, batch * rows());
    }

    @Override
    public void multiply(PreparedInput in, float[] y, WorkerPool pool) {
        if (high == null) build(pool);
        SplitInput split = (SplitInput) in;
        if (split.highOut.length < rows()) split.highOut = new float[rows()];
        low.multiply(split.low, y, pool);
        high.multiply(split.high, split.highOut, pool);
        VectorOps.add(y, 0, split.highOut, 0, rows());
    }

    private synchronized void build(WorkerPool pool) {
        if (high != null) return;
        var passes = LutPacker.pack(source, java.util.List.of(new LutPacker.Pass(0, lowBits, lowLevels, source.offsets()),
                new LutPacker.Pass(lowBits, source.layout().bits() - lowBits, highLevels, null)), pool);
        low = passes.get(0);
        high = passes.get(1);
    }

    /** {b, b + a, b + 2a, …} with {@code count} levels. */
    private static float[] steps(int count, float b, float a) {
        float[] levels = new float[count];
        for (int i = 0; i < count; i++) levels[i] = b + a * i;
        return levels;
    }
}
