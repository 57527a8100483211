package dev.lowbit.kernels;

/** Which kernel runs a row-stream codebook matrix (as files store 3-, 5-, 6- and 8-bit codes) on this machine. */
public final class KernelChoice {
    private KernelChoice() {}

    /**
     * 8-bit codes on the int8 kernel; 3-, 5- and 6-bit affine codes on the table-lookup kernel in two passes
     * ({@link SplitLutMatrix}) when {@code tableLookup} is wanted and this CPU runs a vector table-lookup kernel; else the
     * codebook itself (the dequantizing reference kernel). 8-bit codes could be split too (4+4), but measured on
     * the 32000x2048 classifier that saved only 5% of its GEMV (JMH: 4.99 vs 5.32 ms on 1 thread, 2.74 vs 2.90 ms
     * on 2) and building the passes on first use took 0.7–3 s.
     */
    public static WeightMatrix of(CodebookMatrix m, boolean tableLookup) {
        if (Int8Matrix.over(m) instanceof Int8Matrix int8) return int8;
        if (tableLookup && LutKernels.chosen() != LutKernels.SCALAR && SplitLutMatrix.over(m) instanceof SplitLutMatrix split) return split;
        return m;
    }
}
