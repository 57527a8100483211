package dev.lowbit.kernels;

/**
 * A batch (prefill) on the AVX2 dot-product kernels ({@link LutDotAvx2Kernel}, {@link LutLevelDotAvx2Kernel}): each
 * token's input quantized once, then every tile's GEMV loop run two tokens at a time, so that each chunk's codes are
 * unpacked once for both. Each token's outputs equal its own GEMV's bit for bit: the kernel sums and flushes each
 * token as its GEMV does, and the parts are added here in the GEMV's order (part 0 sets a row, later parts add to it).
 */
final class DotPrefill {
    private DotPrefill() {}

    /** One tile's part for two tokens, outputs of the first at out[0..64), of the second at out[64..128), in {@code rowOf}'s order. */
    @FunctionalInterface
    interface TwoTokens {
        void run(int part, long tile, Q8Input first, Q8Input second, short[] acc, float[] out);
    }

    /** Where a tile's output p lands among its 64 rows. */
    @FunctionalInterface
    interface RowOrder {
        int rowOf(int p);
    }

    static void run(LutMatrix m, float[] x, float[] y, int batch, WorkerPool pool, int inputMax, RowOrder order, TwoTokens kernel) {
        LutLayout layout = m.layout();
        LutGeometry g = m.geometry();
        int cols = layout.cols(), rows = layout.rows();
        Q8Input[] in = new Q8Input[batch];
        for (int t = 0; t < batch; t++) {
            in[t] = new Q8Input(cols, inputMax);
            in[t].prepare(java.util.Arrays.copyOfRange(x, t * cols, (t + 1) * cols));
        }
        long address = m.address();
        pool.parallelChunks(layout.tiles(), 1, (from, to) -> {
            short[] acc = new short[2 * LutLayout.TILE];
            float[] out = new float[2 * LutLayout.TILE];
            for (int tile = from; tile < to; tile++) {
                int r0 = tile * LutLayout.TILE, n = Math.min(LutLayout.TILE, rows - r0);
                for (int t = 0; t < batch; t += 2) {
                    Q8Input first = in[t], second = in[Math.min(t + 1, batch - 1)]; // an odd batch's last token runs as both
                    for (int part = 0; part < g.parts(); part++) {
                        java.util.Arrays.fill(out, 0f);
                        kernel.run(part, address + tile * g.tileBytes, first, second, acc, out);
                        store(out, 0, y, t * rows + r0, n, part > 0, order);
                        if (t + 1 < batch) store(out, LutLayout.TILE, y, (t + 1) * rows + r0, n, part > 0, order);
                    }
                }
            }
        });
    }

    /** A tile's outputs into its rows of y: part 0 sets them, later parts add to them, as the GEMV's partials are added. */
    private static void store(float[] out, int outAt, float[] y, int yAt, int rows, boolean add, RowOrder order) {
        for (int p = 0; p < LutLayout.TILE; p++) {
            int r = order.rowOf(p);
            if (r < rows) y[yAt + r] = add ? y[yAt + r] + out[outAt + p] : out[outAt + p];
        }
    }
}
