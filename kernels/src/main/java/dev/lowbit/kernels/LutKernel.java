package dev.lowbit.kernels;

/**
 * One instruction set's GEMV over the {@code lut64s} layout ({@link LutLayout}), one token at a time, reading the
 * input in the form it names ({@link #inputForm}): tables of partial sums for the lookup kernels
 * ({@link LookupKernel}), activations quantized to 8 bits for the dot-product kernel of 4-bit integer codes
 * ({@link LutDotAvx2Kernel}). Each equals its scalar reference ({@link #reference}) bit for bit. Which one runs is
 * chosen once per JVM ({@link LutKernels}), then per matrix ({@link #forMatrix}).
 */
public interface LutKernel {

    /** The name the override ({@code -Dlowbit.kernel=…}) and the reports use. */
    String name();

    /** Consecutive tiles of 64 rows that one unit of parallel work covers. */
    int tilesPerUnit();

    /** The form in which matrices of this layout and these levels read their input on this kernel. */
    InputForm inputForm(LutLayout layout, float[] levels);

    /**
     * Rows of tiles {@code firstTile .. firstTile + tilesPerUnit() − 1} (those that exist) over the inputs of part
     * {@code part} ({@link LutGeometry#PART_BYTES}), into {@code y[yOff + row]}; {@code in} is of this kernel's form.
     */
    void gemv(LutMatrix m, int firstTile, int part, PreparedInput in, float[] y, int yOff);

    /** The kernel that runs matrices of this layout and these levels: this one, or one made for them. */
    default LutKernel forMatrix(LutLayout layout, float[] levels) {
        return this;
    }

    /** The scalar kernel this one equals bit for bit (tests compare them). */
    default LutKernel reference() {
        return LutKernels.SCALAR;
    }

    /**
     * {@code batch} tokens (prefill): by default each through the GEMV; kernels with wide float vectors dequantize
     * tiles and run a float GEMM instead ({@link LutPrefill}), and the AVX2 dot-product kernels run their GEMV two tokens
     * at a time ({@link DotPrefill}).
     */
    default void prefill(LutMatrix m, float[] x, float[] y, int batch, WorkerPool pool) {
        m.multiplyTokens(x, y, batch, pool);
    }
}
