package dev.lowbit.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The f16 and bf16 GEMVs against a double-precision product of the weights decoded one by one by the JDK. */
class HalfMatrixTest {
    private static final ValueLayout.OfShort LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** rows × cols: four-row steps and single last rows, columns with and without a tail past the last vector. */
    static final int[][] SHAPES = {{1, 16}, {3, 40}, {8, 64}, {70, 192}, {13, 2051}, {64, 8}};

    @Test
    void f16MatchesTheJdksDecodingOfEveryWeight() {
        for (int[] shape : SHAPES) {
            for (int batch : new int[] {1, 3, 9}) { // a batch runs the one-input loop per input
                assertTrue(maxError(true, shape[0], shape[1], batch, WorkerPool.SERIAL) < 1e-5, "f16 " + shape[0] + "x" + shape[1]);
            }
        }
    }

    @Test
    void bf16MatchesTheBitsAsTheUpperHalfOfAFloat() {
        for (int[] shape : SHAPES) {
            for (int batch : new int[] {1, 3, 9}) {
                assertTrue(maxError(false, shape[0], shape[1], batch, WorkerPool.SERIAL) < 1e-5, "bf16 " + shape[0] + "x" + shape[1]);
            }
        }
    }

    @Test
    void twoThreadsGiveTheSameResultAsOne() {
        try (WorkerPool pool = new WorkerPool(2)) {
            for (boolean f16 : new boolean[] {true, false}) {
                assertTrue(maxError(f16, 4001, 96, 1, pool) < 1e-5);
            }
        }
    }

    @Test
    void f16ReadsSubnormalsExactly() {
        MemorySegment data = MemorySegment.ofArray(new short[16]);
        for (int i = 0; i < 16; i++) data.set(LE, 2L * i, (short) (i == 0 ? 0x0001 : i == 1 ? 0x83FF : 0x3C00)); // 2^-24, -(1023)·2^-24, 1
        float[] x = new float[16], y = new float[1];
        x[0] = 1;
        x[1] = 1;
        new F16Matrix(data, 1, 16).multiply(x, y, 1, WorkerPool.SERIAL);
        assertEquals(0x1p-24f - 1023 * 0x1p-24f, y[0], 0);
    }

    /** The kernels read native memory by address: weights whose memory is gone give an exception, not a crash. */
    @Test
    void weightsOfAClosedArenaAreRefused() {
        float[] x = new float[64], y = new float[8];
        for (boolean f16 : new boolean[] {true, false}) {
            java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofShared();
            MemorySegment data = arena.allocate(2L * 8 * 64);
            WeightMatrix m = f16 ? new F16Matrix(data, 8, 64) : new Bf16Matrix(data, 8, 64);
            m.multiply(x, y, 1, WorkerPool.SERIAL);
            arena.close();
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class, () -> m.multiply(x, y, 1, WorkerPool.SERIAL));
            assertEquals("weights read after their memory was released", e.getMessage());
        }
    }

    /**
     * The largest |got − expected| / Σ|w·x| over a random rows × cols matrix (finite values over many binades, f16
     * subnormals included) and {@code batch} inputs; the expected products in double from each weight decoded by
     * {@link Float#float16ToFloat} or from its bits as a float's upper half.
     */
    static double maxError(boolean f16, int rows, int cols, int batch, WorkerPool pool) {
        SplittableRandom r = new SplittableRandom(rows * 31L + cols);
        MemorySegment data = MemorySegment.ofArray(new short[rows * cols]);
        double[] w = new double[rows * cols];
        for (int i = 0; i < w.length; i++) {
            short bits = (short) r.nextInt(1 << 16);
            if (f16 && (bits & 0x7C00) == 0x7C00) bits &= (short) 0xBFFF; // no infinities or NaNs
            if (!f16) bits = (short) (bits & 0x80FF | (0x3800 + r.nextInt(0x0F00)) & 0x7F00); // exponents about 2^-15 .. 2^14
            data.set(LE, 2L * i, bits);
            w[i] = f16 ? Float.float16ToFloat(bits) : Float.intBitsToFloat((bits & 0xFFFF) << 16);
        }
        WeightMatrix m = f16 ? new F16Matrix(data, rows, cols) : new Bf16Matrix(data, rows, cols);
        float[] x = new float[batch * cols], y = new float[batch * rows];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() * 2 - 1);
        m.multiply(x, y, batch, pool);
        double worst = 0;
        for (int t = 0; t < batch; t++) {
            for (int row = 0; row < rows; row++) {
                double sum = 0, magnitude = 0;
                for (int c = 0; c < cols; c++) {
                    sum += w[row * cols + c] * x[t * cols + c];
                    magnitude += Math.abs(w[row * cols + c] * x[t * cols + c]);
                }
                worst = Math.max(worst, Math.abs(y[t * rows + row] - sum) / Math.max(magnitude, Double.MIN_NORMAL));
            }
        }
        return worst;
    }
}
