package dev.lowbit.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** 3-, 5-, 6- and 8-bit integer codebooks run as two table-lookup passes, against the codebook's own product. */
class SplitLutMatrixTest {

    static CodebookMatrix randomCodes(int bits, int rows, int cols, int group, boolean symmetric, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        CodeLayout layout = new CodeLayout(rows, cols, bits, group);
        Arena arena = Arena.ofAuto();
        MemorySegment codes = arena.allocate(layout.codeBytes(), 64), scales = arena.allocate(layout.groups() * 2, 64);
        MemorySegment offsets = symmetric ? null : arena.allocate(layout.groups() * 2, 64);
        byte[] row = new byte[layout.rowBytes()];
        for (int r = 0; r < rows; r++) {
            java.util.Arrays.fill(row, (byte) 0);
            for (int c = 0; c < cols; c++) CodeLayout.setCode(row, 0, c, bits, rnd.nextInt(1 << bits));
            MemorySegment.copy(row, 0, codes, ValueLayout.JAVA_BYTE, (long) r * row.length, row.length);
        }
        for (long g = 0; g < layout.groups(); g++) {
            ScaleFormat.F16.write(scales, g, (float) rnd.nextDouble(0.001, 0.02));
            if (offsets != null) ScaleFormat.F16.write(offsets, g, (float) rnd.nextDouble(-0.05, 0.05));
        }
        float[] levels = new float[1 << bits];
        for (int i = 0; i < levels.length; i++) levels[i] = symmetric ? i - levels.length / 2 : i; // IntegerGrid(bits, sym) and (bits, asym)
        return new CodebookMatrix(layout, levels, ScaleFormat.F16, codes, scales, offsets);
    }

    @ParameterizedTest(name = "{0} bits {1}x{2} g{3} symmetric={4}")
    @CsvSource({"3, 128, 256, 32, true", "3, 128, 256, 64, false", "3, 100, 96, 96, false", "3, 64, 512, 128, true",
            "5, 128, 256, 32, true", "6, 100, 96, 32, false", "8, 128, 256, 32, true", "8, 300, 128, 64, false", "8, 64, 512, 512, true"})
    void matchesTheCodebookProduct(int bits, int rows, int cols, int group, boolean symmetric) {
        CodebookMatrix reference = randomCodes(bits, rows, cols, group, symmetric, rows * 31L + cols + bits);
        SplitLutMatrix split = SplitLutMatrix.over(reference);
        assertNotNull(split);
        float[] a = new float[cols], b = new float[cols];
        for (int r = 0; r < rows; r++) {
            reference.readRow(r, a, 0);
            split.readRow(r, b, 0);
            assertArrayEquals(a, b);
        }
        SplittableRandom rnd = new SplittableRandom(5);
        for (int batch : new int[] {1, 3}) {
            float[] x = new float[batch * cols];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            float[] ya = new float[batch * rows], yb = new float[batch * rows];
            try (WorkerPool pool = new WorkerPool(2)) {
                reference.multiply(x, ya, batch, pool);
                split.multiply(x, yb, batch, pool);
            }
            double err = 0, norm = 0;
            for (int i = 0; i < ya.length; i++) {
                err += (ya[i] - yb[i]) * (double) (ya[i] - yb[i]);
                norm += ya[i] * (double) ya[i];
            }
            // Int8 activation tables, as for every table-lookup matrix (docs/KERNELS.md).
            assertTrue(Math.sqrt(err / norm) < 0.01, "batch " + batch + ": relative error " + Math.sqrt(err / norm));
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({"non-affine levels", "group of 48", "4 bits", "7 bits"})
    void refusesWhatItCannotSplitExactly(String why) {
        int bits = why.endsWith("bits") ? why.charAt(0) - '0' : 3;
        CodebookMatrix m = randomCodes(bits, 64, 96, why.startsWith("group") ? 48 : 32, true, 1);
        if (why.startsWith("non")) {
            float[] levels = {-4, -3, -2, -1, 0, 1, 2, 4};
            m = new CodebookMatrix(m.layout(), levels, ScaleFormat.F16, m.codes(), m.scales(), null);
        }
        assertNull(SplitLutMatrix.over(m));
    }
}
