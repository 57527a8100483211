package dev.lowbit.kernels;

/**
 * How the row-stream GEMVs (int8, f16, bf16, and f32 for one input) walk a thread's rows: four at a time, a quarter of the range apart,
 * so that the hardware fetches four streams from memory instead of one (from DRAM 2.5–3 × faster on the host
 * measured, docs/KERNELS.md, "The int8 kernel: four rows far apart"); the last rows one at a time.
 */
final class FourStreams {
    static final int STREAMS = 4;

    private FourStreams() {}

    /** One step over the rows r + s·stride, s < count: count is 4, or 1 (stride 0) for the last rows. */
    interface Step {
        void rows(int r, int stride, int count);
    }

    /** The dot products of rows r + s·stride (s < 4) with x[xOff ..] into dots: what differs between formats. */
    interface Rows {
        void dotRows(int r, int stride, float[] x, int xOff, float[] dots);
    }

    /** y = W·x for the {@code batch} inputs of a matrix that needs nothing per row beyond its dot products (f16, bf16, f32). */
    static void multiply(int rows, int cols, float[] x, float[] y, int batch, WorkerPool pool, int minWorkPerThread, Rows w) {
        pool.parallelFor(rows, Math.max(1, minWorkPerThread / (cols * batch) + 1), (from, to) -> {
            float[] dots = new float[STREAMS];
            forEach(from, to, (r, stride, count) -> {
                for (int t = 0; t < batch; t++) {
                    w.dotRows(r, stride, x, t * cols, dots);
                    for (int s = 0; s < count; s++) y[t * rows + r + s * stride] = dots[s];
                }
            });
        });
    }

    static void forEach(int from, int to, Step step) {
        int quarter = (to - from) / STREAMS;
        for (int r = from; r < from + quarter; r++) step.rows(r, quarter, STREAMS);
        for (int r = from + STREAMS * quarter; r < to; r++) step.rows(r, 0, 1);
    }
}
