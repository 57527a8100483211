package dev.lowbit.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The int8 tables against entries computed here in double precision, position by position. */
class LutTablesTest {

    @Test
    void entriesAreTheRoundedPartialSumsOnTheTightestStep() {
        float[][] grids = {LutMatrixTest.intLevels(4, -8), LutMatrixTest.E2M1, LutMatrixTest.intLevels(2, 0),
                {-1.5f, -0.25f, 0.5f, 2f}, LutMatrixTest.intLevels(1, 0)};
        SplittableRandom r = new SplittableRandom(11);
        for (float[] levels : grids) {
            int bits = Integer.numberOfTrailingZeros(levels.length);
            // 70 inputs: two full blocks and a partial one (6 inputs, an odd count of 4-bit positions).
            LutLayout layout = new LutLayout(64, 70, bits, 32, ScaleFormat.F16, false);
            float[] x = new float[layout.cols()];
            for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * (i < 32 ? 0.01 : 3));
            for (int stride : new int[] {16, 64}) check(layout, levels, x, LutTables.build(layout, levels, x, stride));
        }
    }

    @Test
    void inputsTooSmallForAStepGiveZeroEntries() {
        float[] levels = LutMatrixTest.intLevels(4, 0);
        LutLayout layout = new LutLayout(64, 64, 4, 32, ScaleFormat.F16, true);
        float[] x = new float[64];
        for (int i = 0; i < 32; i++) x[i] = (i % 3 - 1) * 0x1p-130f; // subnormal: 1/step would overflow
        LutTables t = LutTables.build(layout, levels, x, 64);
        for (int j = 0; j < 2; j++) assertEquals(1f, t.spanScale[j], "span " + j);
        for (byte b : t.tables) assertEquals(0, (b & 0xFF) - 128);
    }

    @Test
    void aSpanOfBlocksSharesOneStep() {
        // 150 inputs in groups of 64, or in one group (a whole row): at 1 and 2 bits, spans of 64, 64 and 22 inputs
        // either way; at 4 bits, one per block. The second block of each span is 100 times larger, so its step must
        // govern the first.
        SplittableRandom r = new SplittableRandom(12);
        for (int group : new int[] {64, 150}) {
            for (float[] levels : new float[][] {LutMatrixTest.intLevels(4, -8), LutMatrixTest.intLevels(2, 0), LutMatrixTest.intLevels(1, 0)}) {
                int bits = Integer.numberOfTrailingZeros(levels.length);
                LutLayout layout = new LutLayout(64, 150, bits, group, ScaleFormat.F16, true);
                assertEquals(bits == 4 ? 5 : 3, layout.spans(), "spans of group " + group + ", " + bits + " bits");
                float[] x = new float[layout.cols()];
                for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextGaussian() * ((i / 32) % 2 == 0 ? 0.01 : 1));
                for (int stride : new int[] {16, 64}) check(layout, levels, x, LutTables.build(layout, levels, x, stride));
            }
        }
    }

    private static void check(LutLayout layout, float[] levels, float[] x, LutTables t) {
        int bits = layout.bits(), g = layout.inputsPerPosition(), mask = (1 << bits) - 1;
        double lo = Double.MAX_VALUE, hi = -Double.MAX_VALUE;
        for (float l : levels) {
            lo = Math.min(lo, l);
            hi = Math.max(hi, l);
        }
        double mid = (lo + hi) / 2;
        int pos = 0;
        // Spans split each group into runs of up to 64 inputs (two blocks).
        int span = 0;
        for (int k = 0; k < layout.groups(); k++) {
            int perSpan = layout.bits() == 4 ? 1 : Math.max(1, Math.min(layout.effectiveGroup(), 64) / 32);
            for (int first = layout.firstBlock(k); first < layout.endBlock(k); first += perSpan, span++) {
                int end = Math.min(layout.endBlock(k), first + perSpan);
                double step = t.spanScale[span], sum = 0, largest = 0;
                int largestCode = 0, positions = 0;
                for (int j = first; j < end; j++) {
                    int a0 = j * LutLayout.BLOCK, n = layout.blockInputs(j);
                    positions += layout.blockPositions(j);
                    for (int i = 0; i < n; i++) sum += x[a0 + i];
                    for (int p = 0; p < layout.blockPositions(j); p++, pos++) {
                        for (int c = 0; c < 16; c++) {
                            double exact = 0;
                            for (int d = 0; d < g && p * g + d < n; d++) exact += (levels[(c >>> (d * bits)) & mask] - mid) * x[a0 + p * g + d];
                            int q = (t.tables[pos * t.stride + c] & 0xFF) - 128;
                            for (int rep = 1; rep < t.stride / 16; rep++) assertEquals(t.tables[pos * t.stride + c], t.tables[pos * t.stride + 16 * rep + c], "replica " + rep);
                            assertTrue(Math.abs(q - exact / step) <= 0.5 + 1e-3, "span " + span + " block " + j + " position " + p + " index " + c + ": " + q + " vs " + exact / step);
                            largest = Math.max(largest, Math.abs(exact));
                            largestCode = Math.max(largestCode, Math.abs(q));
                        }
                    }
                }
                // The step is the tightest one: the largest entry of the span maps to ±127, not less.
                assertEquals(127, largestCode, "span " + span);
                assertEquals(largest / 127, step, 1e-5 * step, "span " + span + " step");
                assertEquals(sum, t.spanSum[span], 1e-5 * (1 + Math.abs(sum)), "span " + span + " sum");
                assertEquals(mid * sum - 128.0 * positions * step, t.spanBias[span], 1e-5 * (1 + Math.abs(mid * sum) + 128 * positions * step), "span " + span + " bias");
            }
        }
        assertEquals(layout.spans(), span, "spans");
    }
}
