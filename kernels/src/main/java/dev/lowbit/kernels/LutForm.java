package dev.lowbit.kernels;

import java.util.Arrays;

/**
 * The input form of table-lookup matrices: tables depend on the input width, the code width, the spans (from the
 * group size), the levels and the table stride of the kernel that reads them, and on nothing else (not on rows,
 * scales or offsets). Matrices with equal forms read one {@link LutInput}.
 */
final class LutForm implements InputForm {
    private final LutLayout shape; // rows, scale format and offsets normalised away
    private final float[] levels;
    private final int stride;

    LutForm(LutLayout layout, float[] levels, int stride) {
        this.shape = new LutLayout(1, layout.cols(), layout.bits(), layout.effectiveGroup(), ScaleFormat.F16, false);
        this.levels = levels.clone();
        this.stride = stride;
    }

    @Override
    public LutInput newInput() {
        return new LutInput(this);
    }

    /** Empty tables of this form. */
    LutTables newTables() {
        return new LutTables(shape, levels, stride);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LutForm f && f.shape.equals(shape) && f.stride == stride && Arrays.equals(f.levels, levels);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * shape.hashCode() + Arrays.hashCode(levels)) + stride;
    }
}
