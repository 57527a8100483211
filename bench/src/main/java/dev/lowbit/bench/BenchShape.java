package dev.lowbit.bench;

import java.util.SplittableRandom;

/** A "rowsxcols" benchmark parameter with fixed-seed random weights and input. */
record BenchShape(int rows, int cols) {
    static BenchShape parse(String shape) {
        String[] p = shape.split("x");
        return new BenchShape(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
    }

    /** Weights uniform in [−0.5, 0.5), row-major. */
    float[] weights() {
        SplittableRandom r = new SplittableRandom(1);
        float[] w = new float[rows * cols];
        for (int i = 0; i < w.length; i++) w[i] = (float) (r.nextDouble() - 0.5);
        return w;
    }

    /** {@code batch} input vectors. */
    float[] input(int batch) {
        SplittableRandom r = new SplittableRandom(2);
        float[] x = new float[batch * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() - 0.5);
        return x;
    }
}
