package dev.lowbit.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class Int8MatrixTest {
    @Test
    void matchesTheReferenceDequantizingProduct() {
        for (int group : new int[] {32, 16, 64, 128, 192, 256}) { // 64: an odd count per row; 128: the last cut short; 192, 256: whole rows
        for (int base : new int[] {-128, 0}) {
            for (boolean offsets : new boolean[] {false, true}) {
                CodebookMatrix m = LutMatrixTest.random(70, 192, 8, group, offsets, ScaleFormat.F16, LutMatrixTest.intLevels(8, base), 11);
                Int8Matrix fast = Int8Matrix.over(m);
                assertNotNull(fast);
                int batch = 3;
                float[] x = LutMatrixTest.input(batch * 192, 12);
                float[] expected = new float[batch * 70], got = new float[batch * 70];
                m.multiply(x, expected, batch, LutMatrixTest.POOL);
                fast.multiply(x, got, batch, LutMatrixTest.POOL);
                for (int i = 0; i < got.length; i++) {
                    assertEquals(expected[i], got[i], 1e-4 * Math.max(1, Math.abs(expected[i])), "group " + group + " base " + base);
                }
            }
        }
        }
    }

    /** The largest relative error of a 70 × 192 product against the reference, for the self-check in other JVMs. */
    static double maxError(int group, WorkerPool pool) {
        CodebookMatrix m = LutMatrixTest.random(70, 192, 8, group, false, ScaleFormat.F16, LutMatrixTest.intLevels(8, -128), 11);
        float[] x = LutMatrixTest.input(192, 12), expected = new float[70], got = new float[70];
        m.multiply(x, expected, 1, pool);
        Int8Matrix.over(m).multiply(x, got, 1, pool);
        double worst = 0;
        for (int i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(expected[i] - got[i]) / Math.max(1, Math.abs(expected[i])));
        return worst;
    }

    @Test
    void onlyForUnitStepEightBitCodes() {
        float[] nonUniform = LutMatrixTest.intLevels(8, 0);
        nonUniform[200] = 7;
        assertNull(Int8Matrix.over(LutMatrixTest.random(4, 64, 8, 32, false, ScaleFormat.F16, nonUniform, 1)));
        assertNull(Int8Matrix.over(LutMatrixTest.random(4, 32, 4, 32, false, ScaleFormat.F16, LutMatrixTest.intLevels(4, 0), 1)));
        assertNull(Int8Matrix.over(LutMatrixTest.random(4, 96, 8, 32, false, ScaleFormat.F16, LutMatrixTest.intLevels(8, 0), 1)));
        assertNull(Int8Matrix.over(LutMatrixTest.random(4, 128, 8, 8, false, ScaleFormat.F16, LutMatrixTest.intLevels(8, 0), 1)));
        assertNull(Int8Matrix.over(LutMatrixTest.random(4, 192, 8, 48, false, ScaleFormat.F16, LutMatrixTest.intLevels(8, 0), 1)));
    }
}
