package dev.lowbit.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class LutMatrixTest {
    static final WorkerPool POOL = new WorkerPool(2);

    @AfterAll
    static void close() {
        POOL.close();
    }

    /** A random codebook matrix: random codes, positive scales, optional offsets. */
    static CodebookMatrix random(int rows, int cols, int bits, int group, boolean offsets, ScaleFormat format, float[] levels, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        CodeLayout layout = new CodeLayout(rows, cols, bits, Math.min(group, cols));
        byte[] row = new byte[layout.rowBytes()];
        MemorySegment codes = Arena.ofAuto().allocate(layout.codeBytes());
        for (int i = 0; i < rows; i++) {
            java.util.Arrays.fill(row, (byte) 0);
            for (int c = 0; c < cols; c++) CodeLayout.setCode(row, 0, c, bits, r.nextInt(1 << bits));
            MemorySegment.copy(row, 0, codes, ValueLayout.JAVA_BYTE, (long) i * row.length, row.length);
        }
        MemorySegment scales = Arena.ofAuto().allocate(layout.groups() * format.bytes());
        MemorySegment offs = offsets ? Arena.ofAuto().allocate(layout.groups() * 2) : null;
        for (long g = 0; g < layout.groups(); g++) {
            format.write(scales, g, format == ScaleFormat.E8M0 ? Math.scalb(1f, -3 - r.nextInt(4)) : f16Scale(r));
            if (offs != null) ScaleFormat.F16.write(offs, g, (float) (0.4 * r.nextDouble() - 0.2));
        }
        return new CodebookMatrix(layout, levels, format, codes, scales, offs);
    }

    /** Both signs, and one in eight an f16 subnormal: the kernels decode f16 bits themselves. */
    private static float f16Scale(SplittableRandom r) {
        float scale = r.nextInt(8) == 0 ? r.nextInt(1, 1024) * 0x1p-24f : (float) (0.01 + 0.05 * r.nextDouble());
        return r.nextBoolean() ? scale : -scale;
    }

    static float[] intLevels(int bits, int base) {
        float[] l = new float[1 << bits];
        for (int i = 0; i < l.length; i++) l[i] = base + i;
        return l;
    }

    static final float[] E2M1 = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6, 0, -0.5f, -1, -1.5f, -2, -3, -4, -6};

    record Case(int rows, int cols, int bits, int group, boolean offsets, ScaleFormat format, float[] levels) {}

    static List<Case> cases() {
        List<Case> cases = new ArrayList<>();
        // 70x10000: parts of about 1 KiB of codes per row (LutGeometry.PART_BYTES): five with 4-bit codes, two with
        // 2-bit ones, one with 1-bit ones or whole-row groups.
        for (int[] shape : new int[][] {{64, 64}, {100, 172}, {7, 32}, {130, 96}, {64, 2048}, {300, 96}, {512, 64}, {70, 10000}}) {
            for (int bits : new int[] {1, 2, 4}) {
                for (int group : new int[] {32, 64, 128, 1 << 20}) { // 128: a group of two spans
                    cases.add(new Case(shape[0], shape[1], bits, group, true, ScaleFormat.F16, intLevels(bits, 0)));
                    cases.add(new Case(shape[0], shape[1], bits, group, false, ScaleFormat.F16, intLevels(bits, -(1 << (bits - 1)))));
                }
            }
            cases.add(new Case(shape[0], shape[1], 4, 32, false, ScaleFormat.E8M0, E2M1));
            cases.add(new Case(shape[0], shape[1], 4, 128, false, ScaleFormat.E8M0, E2M1)); // scales kept for the group's second span
            cases.add(new Case(shape[0], shape[1], 4, 32, false, ScaleFormat.F16, E2M1));
            cases.add(new Case(shape[0], shape[1], 4, 64, false, ScaleFormat.F16, E2M1));
            cases.add(new Case(shape[0], shape[1], 4, 128, false, ScaleFormat.F16, E2M1));
        }
        return cases;
    }

    static float[] input(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((r.nextDouble() - 0.5) * (i % 11 == 0 ? 8 : 1));
        return x;
    }

    @Test
    void packingPreservesEveryWeight() {
        for (Case c : cases()) {
            CodebookMatrix m = random(c.rows(), c.cols(), c.bits(), c.group(), c.offsets(), c.format(), c.levels(), 1);
            LutMatrix lut = LutPacker.pack(m, POOL); // tiles packed on two threads
            float[] a = new float[c.cols()], b = new float[c.cols()];
            for (int r = 0; r < c.rows(); r++) {
                m.readRow(r, a, 0);
                lut.readRow(r, b, 0);
                assertArrayEquals(a, b, c + " row " + r);
            }
        }
    }

    @Test
    void everyKernelEqualsTheScalarReferenceExactly() {
        // Same int8 tables, same integer sums, same order of float operations: every kernel runs on every machine
        // (one whose instructions the CPU lacks runs the Vector API's Java fallbacks: slow, and still exact).
        for (LutKernel kernel : LutKernels.ALL) {
            for (Case c : cases()) {
                LutMatrix lut = LutPacker.pack(random(c.rows(), c.cols(), c.bits(), c.group(), c.offsets(), c.format(), c.levels(), 2)).on(kernel);
                float[] x = input(c.cols(), 3);
                float[] got = new float[c.rows()], scalar = new float[c.rows()];
                lut.multiply(x, got, 1, POOL);
                lut.multiplyReference(x, scalar);
                assertArrayEquals(scalar, got, c + " (" + kernel.name() + ")");
            }
        }
    }

    @Test
    void theReferenceIsTheSameWhateverTheTableStride() {
        // The 512-bit kernel reads tables stored four times (64 bytes), the others once (16): the same entries.
        for (Case c : cases()) {
            LutMatrix scalar = LutPacker.pack(random(c.rows(), c.cols(), c.bits(), c.group(), c.offsets(), c.format(), c.levels(), 2)).on(LutKernels.SCALAR);
            float[] x = input(c.cols(), 3);
            float[][] y = new float[2][c.rows()];
            int[] strides = {64, 16};
            for (int i = 0; i < 2; i++) {
                LutTables t = LutTables.build(scalar.layout(), scalar.levels(), x, strides[i]);
                float[] part = new float[c.rows()];
                for (int p = 0; p < scalar.parts(); p++) {
                    for (int tile = 0; tile < scalar.layout().tiles(); tile++) ((LookupKernel) LutKernels.SCALAR).gemv(scalar, tile, p, t, p == 0 ? y[i] : part, 0);
                    if (p > 0) for (int r = 0; r < c.rows(); r++) y[i][r] += part[r];
                }
            }
            assertArrayEquals(y[0], y[1], c.toString());
        }
    }

    @Test
    void fourTilesEndingInAPartialTileOnOneThread() {
        // 250 rows = 4 tiles, the last partial: one thread takes them all in one four-tile pass.
        CodebookMatrix m = random(250, 96, 4, 32, true, ScaleFormat.F16, intLevels(4, 0), 13);
        LutMatrix lut = LutPacker.pack(m);
        float[] x = input(96, 14), got = new float[250], expected = new float[250];
        try (WorkerPool one = new WorkerPool(1)) {
            lut.multiply(x, got, 1, one);
        }
        lut.multiplyReference(x, expected);
        assertArrayEquals(expected, got);
    }

    @Test
    void withinTheInt8TableBoundOfTheFloatProduct() {
        for (Case c : cases()) {
            CodebookMatrix m = random(c.rows(), c.cols(), c.bits(), c.group(), c.offsets(), c.format(), c.levels(), 4);
            // The lookup kernels' bound: on a lookup kernel whatever this machine chose (all equal it bit for bit).
            LutMatrix lut = LutPacker.pack(m).on(LutKernels.SCALAR);
            float[] x = input(c.cols(), 5);
            float[] exact = new float[c.rows()], got = new float[c.rows()];
            m.multiply(x, exact, 1, POOL);
            lut.multiply(x, got, 1, POOL);
            LutTables t = LutTables.build(lut.layout(), c.levels(), x, 16);
            float[] w = new float[c.cols()];
            for (int r = 0; r < c.rows(); r++) {
                // Each table entry is off by at most half a step; a span sums its positions' entries, then the
                // group scale multiplies: |error| ≤ Σ_spans |scale| · positions · step / 2 (+ float rounding).
                double bound = 0, magnitude = 0;
                lut.readRow(r, w, 0);
                int[] starts = lut.layout().spanStarts(), positions = lut.layout().spanPositions();
                for (int s = 0; s < positions.length; s++) {
                    int k = starts[s] * LutLayout.BLOCK / lut.layout().effectiveGroup();
                    float scale = m.scaleFormat().read(m.scales(), (long) r * m.layout().groupsPerRow() + k);
                    bound += Math.abs(scale) * positions[s] * t.spanScale[s] / 2;
                }
                for (int i = 0; i < c.cols(); i++) magnitude += Math.abs(w[i] * x[i]);
                assertEquals(exact[r], got[r], bound + 1e-5 * magnitude + 1e-6, c + " row " + r);
            }
        }
    }

    @Test
    void batchesDequantizeTilesAndMatchTheFloatProduct() {
        int batch = 6; // one pass of four tokens and a tail of two
        for (Case c : cases()) {
            CodebookMatrix m = random(c.rows(), c.cols(), c.bits(), c.group(), c.offsets(), c.format(), c.levels(), 6);
            LutMatrix lut = LutPacker.pack(m);
            float[] x = input(batch * c.cols(), 7);
            float[] exact = new float[batch * c.rows()], got = new float[batch * c.rows()];
            m.multiply(x, exact, batch, POOL);
            lut.multiply(x, got, batch, POOL);
            if (LutKernels.chosen() == LutKernels.SCALAR || LutKernels.chosen() == LutKernels.V128 || lut.kernel() == LutKernels.DOT_AVX2
                    || lut.kernel() == LutKernels.LEVEL_DOT_AVX2) {
                // Without vector kernels a batch runs token by token on the scalar path, and the AVX2 dot-product
                // kernels run it as their GEMV two tokens at a time: exactly their one-token results.
                float[] xt = new float[c.cols()], yt = new float[c.rows()];
                for (int t = 0; t < batch; t++) {
                    System.arraycopy(x, t * c.cols(), xt, 0, c.cols());
                    lut.multiply(xt, yt, 1, POOL);
                    for (int r = 0; r < c.rows(); r++) assertEquals(yt[r], got[t * c.rows() + r], c + " token " + t + " row " + r);
                }
                continue;
            }
            // Float rounding of two different summation orders grows with the row length.
            double tolerance = 1e-4 * Math.max(1, c.cols() / 2048.0);
            for (int i = 0; i < got.length; i++) assertEquals(exact[i], got[i], tolerance * Math.max(1, Math.abs(exact[i])), c + " at " + i);
        }
    }

    /**
     * The prefill GEMM for CPUs without AVX-512 (256-bit floats, the 16 levels as two 8-lane tables) runs here
     * too: within float rounding of the codebook's own product, and equal to the 512-bit GEMM bit for bit (same
     * weights in the scratch, same order of fused multiply-adds per row; on a CPU without AVX-512 that one runs the
     * Vector API's Java fallbacks).
     */
    @Test
    void portablePrefillMatchesTheFloatProductAndThe512BitGemm() {
        int batch = 5; // two passes of two tokens and one of one
        for (Case c : cases()) {
            CodebookMatrix m = random(c.rows(), c.cols(), c.bits(), c.group(), c.offsets(), c.format(), c.levels(), 11);
            LutMatrix lut = LutPacker.pack(m);
            float[] x = input(batch * c.cols(), 12);
            float[] exact = new float[batch * c.rows()], got = new float[batch * c.rows()];
            m.multiply(x, exact, batch, POOL);
            LutPrefill.multiply256(lut, x, got, batch, POOL);
            for (int i = 0; i < got.length; i++) assertEquals(exact[i], got[i], 1e-4 * Math.max(1, Math.abs(exact[i])), c + " at " + i);
            float[] wide = new float[batch * c.rows()];
            LutPrefill.multiply512(lut, x, wide, batch, POOL);
            assertArrayEquals(wide, got, c.toString());
        }
    }

    @Test
    void matricesReadingOneInputRunTogetherAsEachAlone() {
        // q/k/v-like: one loop over the units of matrices with different rows, bits and levels (two input forms:
        // int4 twice, E2M1 once), a group that also holds matrices without units (a codebook, a split int3), and
        // one of a single matrix; each against each matrix's own result. One set of buffers serves them all.
        int cols = 160;
        CodebookMatrix[] sources = {
            random(300, cols, 4, 32, false, ScaleFormat.F16, intLevels(4, -8), 21),
            random(64, cols, 4, 32, true, ScaleFormat.F16, intLevels(4, -8), 22),
            random(130, cols, 4, 32, false, ScaleFormat.E8M0, E2M1, 23)};
        WeightMatrix[] luts = new WeightMatrix[sources.length];
        for (int i = 0; i < sources.length; i++) luts[i] = LutPacker.pack(sources[i]);
        WeightMatrix split = SplitLutMatrix.over(random(96, cols, 3, 32, true, ScaleFormat.F16, intLevels(3, 0), 25));
        WeightMatrix[][] groups = {luts, {luts[0], sources[1], luts[2], split}, {luts[2]}};
        PreparedInputs buffers = new PreparedInputs();
        for (int round = 0; round < 2; round++) {
            float[] x = input(cols, 24 + round); // a new input every round: the tables are rebuilt
            for (WeightMatrix[] set : groups) {
                float[][] ys = new float[set.length][];
                for (int i = 0; i < set.length; i++) ys[i] = new float[set[i].rows()];
                new MatrixGroup(set).multiply(buffers, x, ys, 1, POOL);
                for (int i = 0; i < set.length; i++) {
                    float[] expected = new float[set[i].rows()];
                    if (set[i] instanceof LutMatrix lut) lut.multiplyReference(x, expected);
                    else set[i].multiply(x, expected, 1, POOL);
                    assertArrayEquals(expected, ys[i], "round " + round + ", matrix " + i + " of " + set.length);
                }
            }
        }
    }

    @Test
    void matricesOfEqualFormsShareOneInputAndOthersDoNot() {
        LutMatrix a = LutPacker.pack(random(64, 96, 2, 32, false, ScaleFormat.F16, intLevels(2, -2), 8));
        LutMatrix b = LutPacker.pack(random(200, 96, 2, 32, true, ScaleFormat.F16, intLevels(2, -2), 9));
        LutMatrix c = LutPacker.pack(random(64, 96, 2, 64, false, ScaleFormat.F16, intLevels(2, -2), 9));
        LutMatrix d = LutPacker.pack(random(64, 96, 2, 32, false, ScaleFormat.F16, intLevels(2, 0), 9));
        assertEquals(a.inputForm(), b.inputForm()); // rows, scales and offsets do not change the tables
        assertTrue(!a.inputForm().equals(c.inputForm()) && !a.inputForm().equals(d.inputForm())); // spans and levels do
        assertTrue(!a.on(LutKernels.AVX512).inputForm().equals(a.on(LutKernels.AVX2).inputForm())); // and the stride
        assertEquals(a.on(LutKernels.AVX2).inputForm(), a.on(LutKernels.V128).inputForm());
        assertEquals(InputForm.FLOATS, random(64, 96, 2, 32, false, ScaleFormat.F16, intLevels(2, -2), 9).inputForm());
    }

    @Test
    void threadsMultiplyingDifferentInputsKeepTheirOwnTables() throws Exception {
        // Two decoders on one model, each on its own thread with its own input: a table cache shared between
        // threads would let one overwrite the tables the other is reading. Each result must match its reference.
        CodebookMatrix source = random(256, 192, 4, 32, false, ScaleFormat.F16, intLevels(4, -8), 31);
        LutMatrix lut = LutPacker.pack(source);
        float[][] inputs = {input(192, 32), input(192, 33)};
        float[][] expected = new float[2][256];
        for (int i = 0; i < 2; i++) lut.multiplyReference(inputs[i], expected[i]);
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 2; i++) {
            int me = i;
            threads.add(Thread.ofPlatform().start(() -> {
                try {
                    float[] y = new float[256];
                    for (int round = 0; round < 300; round++) {
                        lut.multiply(inputs[me], y, 1, WorkerPool.SERIAL);
                        assertArrayEquals(expected[me], y, "thread " + me + ", round " + round);
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread t : threads) t.join();
        assertTrue(failures.isEmpty(), () -> failures.get(0).toString());
    }

    @Test
    void wideMatricesAreSummedInPartsOfAbout1KiBOfCodesPerRow() {
        // parts = round(cols · bits / 8 / 1024), at least 1, at most one per group. {cols, bits, group, parts}:
        int[][] shapes = {{8192, 4, 32, 4}, {2048, 4, 32, 1}, {3072, 4, 32, 2}, {3000, 4, 32, 1}, {6144, 4, 64, 3},
            {5000, 4, 1 << 20, 1}, {11008, 4, 128, 5}, {8192, 2, 64, 2}, {6144, 2, 64, 2}, {8192, 1, 64, 1}, {16384, 1, 64, 2}};
        for (int[] s : shapes) {
            LutMatrix lut = LutPacker.pack(random(64, s[0], s[1], s[2], false, ScaleFormat.F16, intLevels(s[1], -(1 << (s[1] - 1))), 40));
            assertEquals(s[3], lut.parts(), s[0] + " inputs of " + s[1] + " bits, groups of " + s[2]);
        }
    }

    @Test
    void tileOffsetsInBothOrders() {
        // 4-bit, groups of 32 over 96 inputs: three groups of one block (32 positions = 16 chunks = 1024 bytes),
        // each with 128 bytes of f16 scales.
        LutLayout first = new LutLayout(64, 96, 4, 32, ScaleFormat.F16, false), interleaved = new LutLayout(64, 96, 4, 32, ScaleFormat.F16, false, false);
        assertEquals(3456, first.tileBytes());
        assertEquals(3456, interleaved.tileBytes());
        long[][] expected = {{0, 128, 256}, {384, 1408, 2432}, {0, 1152, 2304}, {128, 1280, 2432}};
        for (int k = 0; k < 3; k++) {
            assertEquals(expected[0][k], first.metaOffset(k));
            assertEquals(expected[1][k], first.chunkOffset(k));
            assertEquals(expected[2][k], interleaved.metaOffset(k));
            assertEquals(expected[3][k], interleaved.chunkOffset(k));
        }
        // 2-bit with offsets, groups of 64 over 96 inputs: 256 bytes of scales and offsets per group; group 0 has two
        // blocks of 8 chunks (1024 bytes), group 1 one block (512 bytes).
        first = new LutLayout(64, 96, 2, 64, ScaleFormat.F16, true);
        interleaved = new LutLayout(64, 96, 2, 64, ScaleFormat.F16, true, false);
        assertEquals(2048, first.tileBytes());
        assertArrayEquals(new long[] {0, 256, 512, 1536}, new long[] {first.metaOffset(0), first.metaOffset(1), first.chunkOffset(0), first.chunkOffset(1)});
        assertArrayEquals(new long[] {0, 1280, 256, 1536},
                new long[] {interleaved.metaOffset(0), interleaved.metaOffset(1), interleaved.chunkOffset(0), interleaved.chunkOffset(1)});
    }

    @Test
    void spansSplitGroupsIntoRunsOfUpTo64InputsAnd32Positions() {
        // 300 inputs: blocks 0..9, the last of 12 inputs. 4-bit codes (32 positions a block): one span per block.
        LutLayout g128 = new LutLayout(64, 300, 4, 128, ScaleFormat.F16, false);
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, g128.spanStarts());
        // 1-bit codes (8 positions a block; the last block 3, padded to 4): groups of 32 keep one span per block;
        // groups of 128 (blocks 0-3, 4-7, 8-9) and one whole-row group give spans of two blocks, 64 inputs.
        assertEquals(10, new LutLayout(64, 300, 1, 32, ScaleFormat.F16, true).spans());
        for (int group : new int[] {128, 1 << 20}) {
            LutLayout l = new LutLayout(64, 300, 1, group, ScaleFormat.F16, true);
            assertArrayEquals(new int[] {0, 2, 4, 6, 8, 10}, l.spanStarts(), "group " + group);
            assertArrayEquals(new int[] {16, 16, 16, 16, 12}, l.spanPositions(), "group " + group);
        }
        // Groups of 96 (blocks 0-2, 3-5, 6-8, 9): a span never crosses a group, so each group is two blocks and one.
        LutLayout g96 = new LutLayout(64, 300, 2, 96, ScaleFormat.F16, true);
        assertArrayEquals(new int[] {0, 2, 3, 5, 6, 8, 9, 10}, g96.spanStarts());
        assertArrayEquals(new int[] {32, 16, 32, 16, 32, 16, 6}, g96.spanPositions());
        assertArrayEquals(new int[] {0, 2, 4, 6, 7}, new int[] {g96.firstSpan(0), g96.firstSpan(1), g96.firstSpan(2), g96.firstSpan(3), g96.firstSpan(4)});
    }

    @Test
    void interleavedTilesOfOlderFilesRunAndReadTheSame() {
        for (Case c : cases()) {
            CodebookMatrix m = random(c.rows(), c.cols(), c.bits(), c.group(), c.offsets(), c.format(), c.levels(), 6);
            LutMatrix lut = LutPacker.pack(m), old = LutPacker.relayout(lut, false);
            assertTrue(lut.layout().scalesFirst() && !old.layout().scalesFirst());
            float[] a = new float[c.cols()], b = new float[c.cols()];
            for (int r = 0; r < c.rows(); r++) {
                m.readRow(r, a, 0);
                old.readRow(r, b, 0);
                assertArrayEquals(a, b, c + " row " + r);
            }
            float[] x = input(c.cols(), 7), expected = new float[c.rows()], vector = new float[c.rows()], scalar = new float[c.rows()];
            lut.multiply(x, expected, 1, POOL);
            old.multiply(x, vector, 1, POOL);
            old.multiplyReference(x, scalar);
            assertArrayEquals(expected, vector, c + " (vector)");
            assertArrayEquals(expected, scalar, c + " (scalar)");
            assertEquals(-1, lut.data().mismatch(LutPacker.relayout(old, true).data()), c + " (back to scales first)");
        }
    }

    @Test
    void layoutRejectsWhatTheKernelCannotRun() {
        assertTrue(!LutLayout.supportsBits(3) && !LutLayout.supportsBits(8));
        assertTrue(!LutLayout.supportsGroup(16, 64) && LutLayout.supportsGroup(64, 64) && LutLayout.supportsGroup(32, 100));
        assertEquals(true, LutPacker.eligible(random(8, 64, 4, 32, false, ScaleFormat.F16, intLevels(4, 0), 1)));
        assertEquals(false, LutPacker.eligible(random(8, 64, 3, 32, false, ScaleFormat.F16, intLevels(3, 0), 1)));
    }
}
