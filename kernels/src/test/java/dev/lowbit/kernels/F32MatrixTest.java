package dev.lowbit.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class F32MatrixTest {
    static final WorkerPool POOL = new WorkerPool(3);

    @AfterAll
    static void close() {
        POOL.close();
    }

    static float[] random(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    @Test
    void multiplyMatchesDoublePrecisionReferenceForAwkwardShapesAndBatches() {
        Random r = new Random(42);
        int[] dims = {1, 3, 15, 16, 17, 64, 100, 257, 1030};
        int[] batches = {1, 2, 3, 4, 5, 9, 17, 33};
        for (int rows : dims) {
            for (int cols : dims) {
                float[] w = random(r, rows * cols);
                F32Matrix m = F32Matrix.of(w, rows, cols);
                for (int batch : batches) {
                    float[] x = random(r, batch * cols);
                    float[] y = new float[batch * rows];
                    m.multiply(x, y, batch, POOL);
                    for (int t = 0; t < batch; t++) {
                        for (int row = 0; row < rows; row++) {
                            double exact = 0, magnitude = 0;
                            for (int c = 0; c < cols; c++) {
                                exact += (double) w[row * cols + c] * x[t * cols + c];
                                magnitude += Math.abs((double) w[row * cols + c] * x[t * cols + c]);
                            }
                            assertEquals(exact, y[t * rows + row], 1e-6 * magnitude + 1e-6,
                                    () -> rows + "x" + cols + " batch " + batch);
                        }
                    }
                }
            }
        }
    }

    /** A matrix over a heap array (a quantizer's view) multiplies what the array holds now. */
    @Test
    void aViewOfAnArraySeesItsChanges() {
        float[] w = {1, 2, 3, 4, 5, 6};
        F32Matrix m = new F32Matrix(java.lang.foreign.MemorySegment.ofArray(w), 2, 3);
        float[] y = new float[2];
        m.multiply(new float[] {1, 1, 1}, y, 1, POOL);
        assertEquals(6, y[0], 0);
        w[5] = 10;
        m.multiply(new float[] {1, 1, 1}, y, 1, POOL);
        assertEquals(19, y[1], 0);
    }

    @Test
    void singleAndMultiThreadedResultsAreIdentical() {
        Random r = new Random(7);
        int rows = 700, cols = 300, batch = 6;
        F32Matrix m = F32Matrix.of(random(r, rows * cols), rows, cols);
        float[] x = random(r, batch * cols);
        float[] one = new float[batch * rows], many = new float[batch * rows];
        try (WorkerPool single = new WorkerPool(1)) {
            m.multiply(x, one, batch, single);
        }
        m.multiply(x, many, batch, POOL);
        // Same arithmetic per row, only the split differs (up to the last bit: float lane reductions have
        // no fixed order, so interpreted and compiled code may differ).
        for (int i = 0; i < one.length; i++) assertEquals(one[i], many[i], 1e-5f * Math.max(1, Math.abs(one[i])));
    }

    @Test
    void readRowReturnsTheStoredRow() {
        float[] w = new float[3 * 5];
        for (int i = 0; i < w.length; i++) w[i] = i * 0.5f;
        F32Matrix m = F32Matrix.of(w, 3, 5);
        float[] row = new float[7];
        m.readRow(2, row, 1);
        assertArrayEquals(new float[] {0, 5, 5.5f, 6, 6.5f, 7, 0}, row);
        assertThrows(IndexOutOfBoundsException.class, () -> m.readRow(3, row, 0));
    }

    @Test
    void rejectsSegmentOfWrongSize() {
        var seg = java.lang.foreign.Arena.ofAuto().allocate(4 * 10);
        assertThrows(IllegalArgumentException.class, () -> new F32Matrix(seg, 3, 4));
    }
}
