package dev.lowbit.engine.format.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.kernels.Int8Matrix;
import dev.lowbit.kernels.LutMatrix;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Q4_0, Q4_1 and Q8_0 copied into lowbit's kernels hold exactly ggml's values (Q4_K within f16 rounding of its
 * sub-block scales) and multiply like them.
 */
class GgmlRepackTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q4_0", "Q4_1", "Q8_0", "Q4_K"})
    void sameValuesFasterKernel(GgmlType type) {
        int rows = 128, cols = 256;
        SplittableRandom rnd = new SplittableRandom(type.id);
        byte[] bytes = new byte[(int) type.bytesFor((long) rows * cols)];
        rnd.nextBytes(bytes);
        // Sane f16 scales (random bits could be NaN or huge): d in [0.001, 0.01), m in [-0.05, 0.05).
        for (int b = 0; b < bytes.length / type.blockBytes; b++) {
            int p = b * type.blockBytes;
            short d = Float.floatToFloat16((float) rnd.nextDouble(0.001, 0.01));
            bytes[p] = (byte) d;
            bytes[p + 1] = (byte) (d >> 8);
            if (type == GgmlType.Q4_1 || type == GgmlType.Q4_K) { // Q4_K: dmin follows d
                short m = Float.floatToFloat16((float) rnd.nextDouble(-0.05, 0.05));
                bytes[p + 2] = (byte) m;
                bytes[p + 3] = (byte) (m >> 8);
            }
        }
        MemorySegment data = MemorySegment.ofArray(bytes);
        GgmlMatrix reference = new GgmlMatrix(type, data, rows, cols);
        WeightMatrix fast = GgmlRepack.fast(type, data, rows, cols);
        assertTrue(type == GgmlType.Q8_0 ? fast instanceof Int8Matrix : fast instanceof LutMatrix, String.valueOf(fast));
        float[] a = new float[cols], b = new float[cols];
        for (int r = 0; r < rows; r++) {
            reference.readRow(r, a, 0);
            fast.readRow(r, b, 0);
            if (type != GgmlType.Q4_K) {
                assertArrayEquals(a, b, "row " + r);
            } else { // sub-block scales d·sc and offsets −dmin·m rounded to f16: relative change below 2^-11
                float max = 0;
                for (float v : a) max = Math.max(max, Math.abs(v));
                for (int i = 0; i < cols; i++) assertEquals(a[i], b[i], 2e-3f * max, "row " + r + " col " + i);
            }
        }
        float[] x = new float[3 * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
        float[] ya = new float[3 * rows], yb = new float[3 * rows];
        try (WorkerPool pool = new WorkerPool(2)) {
            reference.multiply(x, ya, 3, pool);
            fast.multiply(x, yb, 3, pool);
        }
        double err = 0, norm = 0;
        for (int i = 0; i < ya.length; i++) {
            err += (ya[i] - yb[i]) * (double) (ya[i] - yb[i]);
            norm += ya[i] * (double) ya[i];
        }
        // The kernels round activations to int8 per block, as llama.cpp does for these types (Q8_0 activations).
        assertTrue(Math.sqrt(err / norm) < 0.01, type + ": relative error " + Math.sqrt(err / norm));
    }
}
