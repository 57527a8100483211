package dev.lowbit.kernels;

/**
 * One instruction set's table-lookup GEMV over the {@code lut64s} layout ({@link LutLayout}), one token at a time.
 * Every kernel computes the same integer sums from the same {@link LutTables} and turns them into floats with the
 * same operations in the same order, so all of them equal {@link LutScalarKernel} bit for bit. Which one runs is
 * chosen once per JVM ({@link LutKernels}).
 */
public interface LutKernel {

    /** The name the override ({@code -Dlowbit.kernel=…}) and the reports use. */
    String name();

    /** Bytes per table in the {@link LutTables} this kernel reads: 16, or 64 for four copies. */
    int tableStride();

    /** Consecutive tiles of 64 rows that one unit of parallel work covers. */
    int tilesPerUnit();

    /**
     * Rows of tiles {@code firstTile .. firstTile + tilesPerUnit() − 1} (those that exist) over the inputs of part
     * {@code part} ({@link LutGeometry#PART_BYTES}), into {@code y[yOff + row]}.
     */
    void gemv(LutMatrix m, int firstTile, int part, LutTables t, float[] y, int yOff);

    /**
     * {@code batch} tokens (prefill): by default each through the table lookup; kernels with wide float vectors
     * dequantize tiles and run a float GEMM instead ({@link LutPrefill}).
     */
    default void prefill(LutMatrix m, float[] x, float[] y, int batch, WorkerPool pool) {
        m.multiplyTokens(x, y, batch, pool);
    }
}
