package dev.lowbit.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * One token's input quantized as ggml's {@code Q8_0} quantizes it for its integer dot products: blocks of 32
 * inputs, each with one float scale (its largest |x| / 127, or / the form's smaller maximum) and 32 integers in
 * −127..127, which the dot-product kernel ({@link LutDotAvx2Kernel}) multiplies with the weights' 4-bit codes.
 * Kept as shorts, the width of the kernel's multiplies. Per block it also holds Σq (which turns codes into centred levels) and Σx (for offsets).
 * Inputs past the last one are 0.
 */
final class Q8Input implements TileInput {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final int BLOCK = LutLayout.BLOCK;
    /** Adding 1.5·2^23 rounds |v| < 2^22 to an integer, ties to even (= Math.rint); its low bits are then the integer. */
    private static final float ROUNDER = 0x1.8p23f;

    /**
     * The inputs of every matrix with {@code cols} columns, each block's largest |x| quantized to {@code max}: 127 as
     * ggml's Q8_0, less where a kernel's 16-bit sums need room ({@link LutLevelDotAvx2Kernel}).
     */
    record Form(int cols, int max) implements InputForm {
        Form {
            if (cols <= 0 || max < 1 || max > 127) throw new IllegalArgumentException("cols " + cols + ", max " + max);
        }

        Form(int cols) {
            this(cols, 127);
        }

        @Override
        public Q8Input newInput() {
            return new Q8Input(cols, max);
        }
    }

    final short[] q;       // blocks × 32 quantized inputs
    final float[] scale;   // per block: largest |x| / max (0 for a block of zeros)
    final int[] sum;       // per block: Σq
    final float[] floatSum; // per block: Σx
    private final int cols, max;
    private float[] x = new float[0];
    private float[] partials = new float[0];

    Q8Input(int cols, int max) {
        int blocks = (cols + BLOCK - 1) / BLOCK;
        this.cols = cols;
        this.max = max;
        q = new short[blocks * BLOCK];
        scale = new float[blocks];
        sum = new int[blocks];
        floatSum = new float[blocks];
    }

    @Override
    public void prepare(float[] x) {
        if (x.length < cols) throw new IllegalArgumentException(x.length + " inputs, " + cols + " expected");
        this.x = x;
        for (int b = 0; b < scale.length; b++) {
            int a0 = b * BLOCK, n = Math.min(BLOCK, cols - a0);
            if (n == BLOCK) quantizeFull(x, a0, b);
            else quantizeTail(x, a0, n, b);
        }
    }

    /** A block of 32: four 8-float vectors. */
    private void quantizeFull(float[] x, int a0, int b) {
        FloatVector v0 = FloatVector.fromArray(F, x, a0), v1 = FloatVector.fromArray(F, x, a0 + 8);
        FloatVector v2 = FloatVector.fromArray(F, x, a0 + 16), v3 = FloatVector.fromArray(F, x, a0 + 24);
        float largest = v0.abs().max(v1.abs()).max(v2.abs().max(v3.abs())).reduceLanes(VectorOperators.MAX);
        float step = largest / max, inverse = step == 0 ? 0f : 1f / step;
        scale[b] = step;
        floatSum[b] = VectorOps.sum(v0.add(v1).add(v2.add(v3))); // in a fixed order, unlike reduceLanes(ADD)
        int s = 0;
        for (int i = 0; i < BLOCK; i++) {
            short v = round(x[a0 + i] * inverse);
            q[a0 + i] = v;
            s += v;
        }
        sum[b] = s;
    }

    /** The row's last block, shorter than 32: the rest are zeros. */
    private void quantizeTail(float[] x, int a0, int n, int b) {
        float largest = 0, total = 0;
        for (int i = 0; i < n; i++) {
            largest = Math.max(largest, Math.abs(x[a0 + i]));
            total += x[a0 + i];
        }
        float step = largest / max, inverse = step == 0 ? 0f : 1f / step;
        scale[b] = step;
        floatSum[b] = total;
        int s = 0;
        for (int i = 0; i < BLOCK; i++) {
            short v = i < n ? round(x[a0 + i] * inverse) : 0;
            q[a0 + i] = v;
            s += v;
        }
        sum[b] = s;
    }

    /** Nearest integer, ties to even; |v| ≤ max here, and NaN (a NaN input) gives garbage, not an exception. */
    private static short round(float v) {
        return (short) Float.floatToRawIntBits(v + ROUNDER);
    }

    @Override
    public float[] floats() {
        return x;
    }

    @Override
    public float[] partials(int size) {
        if (partials.length < size) partials = new float[size];
        return partials;
    }
}
