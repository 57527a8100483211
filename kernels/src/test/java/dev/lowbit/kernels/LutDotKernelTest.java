package dev.lowbit.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The dot-product kernels of 4-bit codes on AVX2 ({@link LutDotAvx2Kernel} for integer grids,
 * {@link LutLevelDotAvx2Kernel} for E2M1) and their input ({@link Q8Input}).
 */
class LutDotKernelTest {
    private static final WorkerPool POOL = new WorkerPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    @Test
    void inputsQuantizeToInt8PerBlockOf32() {
        // Block 0: largest |x| is 127, so the step is 1 and q is x rounded half to even. Block 1 holds a row's short
        // last block of three inputs, largest 127/64: the step is 1/64, q = 64·x, and the rest of the block is 0.
        float[] x = new float[35];
        for (int i = 0; i < 32; i++) x[i] = i - 16.5f; // −16.5 … 14.5
        x[7] = 127f;
        x[8] = -2.5f;
        x[32] = 127 / 64f;
        x[33] = -63.5f / 64;
        x[34] = 0.5f / 64;
        Q8Input in = new Q8Input.Form(35).newInput();
        in.prepare(x);
        assertEquals(1f, in.scale[0]);
        assertEquals(-16, in.q[0]); // −16.5
        assertEquals(-16, in.q[1]); // −15.5
        assertEquals(-14, in.q[2]); // −14.5
        assertEquals(127, in.q[7]);
        assertEquals(-2, in.q[8]);  // −2.5
        assertEquals(14, in.q[31]); // 14.5
        int sum = 0;
        for (int i = 0; i < 32; i++) sum += (int) Math.rint(x[i]);
        assertEquals(sum, in.sum[0]);
        for (int i = 0; i < 32; i++) assertEquals((int) Math.rint(x[i]), in.q[i], "input " + i);
        assertEquals(1 / 64f, in.scale[1]);
        assertEquals(127, in.q[32]);
        assertEquals(-64, in.q[33]); // −63.5
        assertEquals(0, in.q[34]);   // 0.5
        for (int i = 35; i < 64; i++) assertEquals(0, in.q[i]);
        assertEquals(127 - 64, in.sum[1]);
        assertEquals(1f, in.floatSum[1]);
    }

    @Test
    void avx2RunsEvenlySpacedFourBitCodesOnTheDotKernel() {
        assertEquals("avx2-dot", pack(64, 64, 4, false, LutMatrixTest.intLevels(4, -8)).on(LutKernels.AVX2).kernel().name());
        assertEquals("avx2-dot", pack(64, 64, 4, true, LutMatrixTest.intLevels(4, 0)).on(LutKernels.AVX2).kernel().name());
        assertEquals("avx2-level-dot", pack(64, 64, 4, false, LutMatrixTest.E2M1).on(LutKernels.AVX2).kernel().name());
        assertEquals("avx2", pack(64, 64, 4, false, NF4).on(LutKernels.AVX2).kernel().name()); // no integer levels
        assertEquals("avx2", pack(64, 64, 2, false, LutMatrixTest.intLevels(2, -2)).on(LutKernels.AVX2).kernel().name());
        assertEquals("avx512", pack(64, 64, 4, false, LutMatrixTest.intLevels(4, -8)).on(LutKernels.AVX512).kernel().name());
    }

    @Test
    void withinTheInt8InputBoundOfTheFloatProduct() {
        // Each input is off by at most half its block's step, so |error| ≤ Σ_i |w_i| · step_i / 2 (+ float rounding).
        for (LutMatrixTest.Case c : LutMatrixTest.cases()) {
            LutLayout layout = new LutLayout(c.rows(), c.cols(), c.bits(), c.group(), c.format(), c.offsets());
            boolean levelDot = LutLevelDotAvx2Kernel.supports(layout, c.levels());
            if (!LutDotAvx2Kernel.supports(layout, c.levels()) && !levelDot) continue;
            CodebookMatrix m = LutMatrixTest.random(c.rows(), c.cols(), c.bits(), c.group(), c.offsets(), c.format(), c.levels(), 4);
            LutMatrix lut = LutPacker.pack(m).on(LutKernels.AVX2);
            float[] x = LutMatrixTest.input(c.cols(), 5), got = new float[c.rows()], w = new float[c.cols()];
            lut.multiply(x, got, 1, POOL);
            Q8Input in = new Q8Input.Form(c.cols(), levelDot ? LutLevelDotAvx2Kernel.INPUT_MAX : 127).newInput();
            in.prepare(x);
            for (int r = 0; r < c.rows(); r++) {
                m.readRow(r, w, 0);
                double exact = 0, bound = 0, magnitude = 0;
                for (int i = 0; i < c.cols(); i++) {
                    exact += (double) w[i] * x[i];
                    bound += Math.abs(w[i]) * in.scale[i / 32] / 2;
                    magnitude += Math.abs(w[i] * x[i]);
                }
                assertEquals(exact, got[r], bound + 1e-5 * magnitude + 1e-6, c + " row " + r);
            }
        }
    }

    @Test
    void sumsAtTheEdgeOfTheShortRangeAreExact() {
        // Every code 0 (level −8) or 15 (7) against inputs all at +127 or alternating ±127: the centred sums reach
        // ±32 · 127 · 8 = ±32512 and the accumulators wrap on the way, which the kernel must undo exactly.
        for (int code : new int[] {0, 15, 5}) {
            for (boolean alternate : new boolean[] {false, true}) {
                LutMatrix lut = pack(70, 96, code, LutMatrixTest.intLevels(4, -8)).on(LutKernels.AVX2);
                float[] x = new float[96];
                for (int i = 0; i < 96; i++) x[i] = alternate && i % 2 == 1 ? -1f : 1f;
                float[] got = new float[70], reference = new float[70];
                lut.multiply(x, got, 1, POOL);
                lut.multiplyReference(x, reference);
                assertArrayEquals(reference, got, "code " + code);
                float level = code - 8, expected = alternate ? 0f : 96 * level * 0.5f; // every scale 0.5
                for (float v : got) assertEquals(expected, v, 1e-5f * Math.abs(expected) + 1e-4f, "code " + code + (alternate ? " alternating" : ""));
            }
        }
    }

    @Test
    void e2m1LevelsAreIntegersOfHalfAUnit() {
        assertEquals(0.5f, LutLevelDotAvx2Kernel.unit(LutMatrixTest.E2M1));
        byte[] k = new byte[16];
        assertTrue(LutLevelDotAvx2Kernel.integerLevels(LutMatrixTest.E2M1, k));
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12}, k);
        assertFalse(LutLevelDotAvx2Kernel.integerLevels(NF4, new byte[16]));
        float[] tooWide = LutMatrixTest.E2M1.clone();
        tooWide[7] = 6.5f; // 13 halves: past the short range's bound
        assertFalse(LutLevelDotAvx2Kernel.integerLevels(tooWide, new byte[16]));
    }

    @Test
    void e2m1SumsAtTheEdgeOfTheShortRangeAreExact() {
        // Every code 7 (level 6, 12 halves) or 15 (−6) against inputs all at the input's maximum (85): a block sums to
        // ±32 · 85 · 12 = ±32640, within a short without wrapping.
        for (int code : new int[] {7, 15, 3}) {
            LutMatrix lut = pack(70, 96, code, LutMatrixTest.E2M1).on(LutKernels.AVX2);
            assertEquals("avx2-level-dot", lut.kernel().name());
            float[] x = new float[96];
            java.util.Arrays.fill(x, 1f);
            float[] got = new float[70], reference = new float[70];
            lut.multiply(x, got, 1, POOL);
            lut.multiplyReference(x, reference);
            assertArrayEquals(reference, got, "code " + code);
            float expected = 96 * LutMatrixTest.E2M1[code] * 0.5f; // every scale 0.5
            for (float v : got) assertEquals(expected, v, 1e-5f * Math.abs(expected), "code " + code);
        }
    }

    /** bitsandbytes' NF4 levels: not multiples of one unit. */
    private static final float[] NF4 = {-1f, -0.6961928f, -0.5250731f, -0.3949175f, -0.2844414f, -0.1848449f, -0.0910500f, 0f,
            0.0795803f, 0.1609302f, 0.2461123f, 0.3379152f, 0.4407098f, 0.5626170f, 0.7229568f, 1f};

    @Test
    void batchesEqualEachTokensOwnProductAndItsScalarReference() {
        // Two tokens at a time through one loop: an odd batch (its last token alone), offsets, and a matrix wide
        // enough for several parts (2048 4-bit inputs per part), whose partial sums are added in the GEMV's order;
        // integer levels (the dot kernel) and E2M1 (the level-table kernel, which takes no offsets).
        int[][] shapes = {{100, 172, 3}, {70, 4160, 5}, {64, 96, 2}};
        for (int[] shape : shapes) {
            for (String grid : new String[] {"int", "int with offsets", "e2m1"}) {
                int rows = shape[0], cols = shape[1], batch = shape[2];
                boolean offsets = grid.equals("int with offsets");
                float[] levels = grid.equals("e2m1") ? LutMatrixTest.E2M1 : LutMatrixTest.intLevels(4, offsets ? 0 : -8);
                LutMatrix lut = pack(rows, cols, 4, offsets, levels).on(LutKernels.AVX2);
                assertEquals(grid.equals("e2m1") ? "avx2-level-dot" : "avx2-dot", lut.kernel().name());
                float[] x = LutMatrixTest.input(batch * cols, 4 + cols), got = new float[batch * rows];
                lut.multiply(x, got, batch, POOL);
                float[] xt = new float[cols], one = new float[rows], reference = new float[rows];
                for (int t = 0; t < batch; t++) {
                    System.arraycopy(x, t * cols, xt, 0, cols);
                    lut.multiply(xt, one, 1, POOL);
                    lut.multiplyReference(xt, reference);
                    for (int r = 0; r < rows; r++) {
                        String where = rows + "x" + cols + " " + grid + ", token " + t + " of " + batch + ", row " + r;
                        assertEquals(one[r], got[t * rows + r], where);
                        assertEquals(reference[r], got[t * rows + r], where);
                    }
                }
            }
        }
    }

    /** A matrix of random codes (LutMatrixTest.random) packed for the table-lookup layout. */
    private static LutMatrix pack(int rows, int cols, int bits, boolean offsets, float[] levels) {
        return LutPacker.pack(LutMatrixTest.random(rows, cols, bits, 32, offsets, ScaleFormat.F16, levels, 1));
    }

    /** Every code {@code code}, every scale 0.5, 4 bits, groups of 32. */
    private static LutMatrix pack(int rows, int cols, int code, float[] levels) {
        CodeLayout layout = new CodeLayout(rows, cols, 4, 32);
        byte[] row = new byte[layout.rowBytes()];
        for (int c = 0; c < cols; c++) CodeLayout.setCode(row, 0, c, 4, code);
        MemorySegment codes = Arena.ofAuto().allocate(layout.codeBytes());
        for (int r = 0; r < rows; r++) MemorySegment.copy(row, 0, codes, ValueLayout.JAVA_BYTE, (long) r * row.length, row.length);
        MemorySegment scales = Arena.ofAuto().allocate(layout.groups() * 2L);
        for (long g = 0; g < layout.groups(); g++) ScaleFormat.F16.write(scales, g, 0.5f);
        return LutPacker.pack(new CodebookMatrix(layout, levels, ScaleFormat.F16, codes, scales, null));
    }
}
