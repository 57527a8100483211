package dev.lowbit.kernels;

import java.util.Arrays;

/**
 * Every table-lookup kernel against the scalar reference on a set of shapes and formats, in the JVM it runs in:
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
        System.out.println(passed + " passed, " + failed + " failed");
        System.exit(failed == 0 ? 0 : 1);
    }
}
