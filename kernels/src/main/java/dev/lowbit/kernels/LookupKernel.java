package dev.lowbit.kernels;

/**
 * A table-lookup kernel: the input is prepared into {@link LutTables}, and the kernel sums the entries that the
 * weights' 4-bit indices pick. Every lookup kernel computes the same integer sums from the same tables and turns
 * them into floats with the same operations in the same order, so all of them equal {@link LutScalarKernel} bit
 * for bit.
 */
interface LookupKernel extends LutKernel {

    /** Bytes per table in the {@link LutTables} this kernel reads: 16, or 64 for four copies. */
    int tableStride();

    /** {@link LutKernel#gemv} on this thread's tables. */
    void gemv(LutMatrix m, int firstTile, int part, LutTables t, float[] y, int yOff);

    @Override
    default InputForm inputForm(LutLayout layout, float[] levels) {
        return new LutForm(layout, levels, tableStride());
    }

    @Override
    default void gemv(LutMatrix m, int firstTile, int part, PreparedInput in, float[] y, int yOff) {
        gemv(m, firstTile, part, ((LutInput) in).tables(), y, yOff);
    }
}
