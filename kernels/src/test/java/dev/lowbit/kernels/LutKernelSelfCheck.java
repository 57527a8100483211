package dev.lowbit.kernels;

import java.util.Arrays;

/**
 * Every table-lookup kernel against the scalar reference on a set of shapes and formats, and the row-stream GEMVs
 * (int8, f16, bf16) against theirs, in the JVM it runs in:
 * {@link KernelsOnOtherInstructionSetsTest} starts it under {@code -XX:UseAVX=2} and {@code -XX:UseAVX=0}, so that C2
 * emits code for an AVX2-only CPU and an SSE-only one whatever this host has. Prints the kernel this JVM chose and
 * "N passed, N failed"; exits 1 on any mismatch.
 */
public final class LutKernelSelfCheck {
    private LutKernelSelfCheck() {}

    public static void main(String[] args) {
        System.out.println("chosen " + LutKernels.chosen().name());
        int passed = 0, failed = 0;
        try (WorkerPool pool = new WorkerPool(2)) {
            for (LutKernel kernel : LutKernels.ALL) {
                for (LutMatrixTest.Case c : LutMatrixTest.cases()) {
                    if (c.rows() * c.cols() > 100_000) continue; // the Java fallbacks of a foreign kernel are slow
                    LutMatrix lut = LutPacker.pack(LutMatrixTest.random(c.rows(), c.cols(), c.bits(), c.group(), c.offsets(), c.format(), c.levels(), 2)).on(kernel);
                    float[] x = LutMatrixTest.input(c.cols(), 3), got = new float[c.rows()], expected = new float[c.rows()];
                    lut.multiply(x, got, 1, pool);
                    lut.multiplyReference(x, expected);
                    if (Arrays.equals(got, expected)) {
                        passed++;
                    } else {
                        failed++;
                        System.out.println("mismatch: " + kernel.name() + " " + c);
                    }
                }
            }
        }
        // The row-stream GEMVs, whose vector width this JVM's flags set (within rounding of their references).
        try (WorkerPool pool = new WorkerPool(2)) {
            for (int[] shape : HalfMatrixTest.SHAPES) {
                for (boolean f16 : new boolean[] {true, false}) {
                    if (HalfMatrixTest.maxError(f16, shape[0], shape[1], 2, pool) < 1e-5) {
                        passed++;
                    } else {
                        failed++;
                        System.out.println("mismatch: " + (f16 ? "f16 " : "bf16 ") + shape[0] + "x" + shape[1]);
                    }
                }
            }
            for (int group : new int[] {16, 32, 128}) {
                if (Int8MatrixTest.maxError(group, pool) < 1e-4) {
                    passed++;
                } else {
                    failed++;
                    System.out.println("mismatch: int8 g" + group);
                }
            }
        }
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
