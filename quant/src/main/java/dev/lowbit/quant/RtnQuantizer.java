package dev.lowbit.quant;

import dev.lowbit.kernels.CodeLayout;
import dev.lowbit.kernels.CodebookMatrix;
import dev.lowbit.kernels.ScaleFormat;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.grid.Grid;
import dev.lowbit.quant.grid.GroupScale;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * Round-to-nearest, group by group. With {@code search}, each group also tries clipping its range to
 * 95%, 90%, … 50% and keeps the scale with the smallest squared error (outliers get clipped when that
 * helps the rest of the group).
 */
public final class RtnQuantizer implements Quantizer {
    /** Range fractions tried by the clipping search, from none down to half. */
    static final float[] SHRINKS = {1.0f, 0.95f, 0.9f, 0.85f, 0.8f, 0.75f, 0.7f, 0.65f, 0.6f, 0.55f, 0.5f};

    private final Grid grid;
    private final int groupSize;
    private final boolean search;

    /** @param groupSize consecutive inputs per group; 0 for a whole row */
    public RtnQuantizer(Grid grid, int groupSize, boolean search) {
        if (groupSize < 0) throw new IllegalArgumentException("group size must be positive (or 0 for whole rows)");
        this.grid = grid;
        this.groupSize = groupSize;
        this.search = search;
    }

    @Override
    public Grid grid() {
        return grid;
    }

    @Override
    public QuantizedTensor quantize(WeightMatrix w, WorkerPool pool) {
        int rows = w.rows(), cols = w.cols();
        CodeLayout layout = new CodeLayout(rows, cols, grid.bits(), groupWidth(cols));
        ScaleFormat scaleFormat = grid.scaleFormat();
        Arena arena = Arena.ofAuto();
        MemorySegment codes = arena.allocate(layout.codeBytes(), 64);
        MemorySegment scales = arena.allocate(layout.groups() * scaleFormat.bytes(), 64);
        MemorySegment offsets = grid.hasOffset() ? arena.allocate(layout.groups() * 2, 64) : null;
        DoubleAdder errorSum = new DoubleAdder(), normSum = new DoubleAdder();
        pool.parallelFor(rows, 1, (from, to) -> {
            float[] row = new float[cols];
            byte[] packed = new byte[layout.rowBytes()];
            double error = 0, norm = 0;
            for (int r = from; r < to; r++) {
                w.readRow(r, row, 0);
                java.util.Arrays.fill(packed, (byte) 0);
                for (int k = 0; k < layout.groupsPerRow(); k++) {
                    int off = k * layout.groupSize(), n = Math.min(layout.groupSize(), cols - off);
                    GroupScale s = bestScale(row, off, n);
                    long group = (long) r * layout.groupsPerRow() + k;
                    scaleFormat.write(scales, group, s.scale());
                    if (offsets != null) ScaleFormat.F16.write(offsets, group, s.offset());
                    for (int c = off; c < off + n; c++) {
                        int code = grid.nearest(s.toGrid(row[c]));
                        CodeLayout.setCode(packed, 0, c, layout.bits(), code);
                        float back = s.scale() * grid.level(code) + s.offset();
                        error += (double) (row[c] - back) * (row[c] - back);
                        norm += (double) row[c] * row[c];
                    }
                }
                MemorySegment.copy(packed, 0, codes, ValueLayout.JAVA_BYTE, (long) r * packed.length, packed.length);
            }
            errorSum.add(error);
            normSum.add(norm);
        });
        CodebookMatrix m = new CodebookMatrix(layout, grid.levels(), scaleFormat, codes, scales, offsets);
        double norm = normSum.sum();
        return new QuantizedTensor(m, norm == 0 ? 0 : Math.sqrt(errorSum.sum() / norm));
    }

    /**
     * Replaces {@code row[off .. off+cols)} by its quantized-then-dequantized values, group by group as
     * {@link #quantize} stores them (same scales, same codes). Used by searches that score candidate weights.
     */
    public void roundTrip(float[] row, int off, int cols) {
        int g = groupWidth(cols);
        for (int start = 0; start < cols; start += g) {
            int n = Math.min(g, cols - start);
            GroupScale s = bestScale(row, off + start, n);
            for (int c = off + start; c < off + start + n; c++) row[c] = s.scale() * grid.level(grid.nearest(s.toGrid(row[c]))) + s.offset();
        }
    }

    /** Columns per group for rows of {@code cols} weights (a short last group when they do not divide). */
    public int groupWidth(int cols) {
        return groupSize == 0 ? cols : Math.min(groupSize, cols);
    }

    /** Every group's scale for a row-major matrix, row by row (the scales {@link #quantize} stores). */
    public GroupScale[] groupScales(float[] w, int rows, int cols) {
        int g = groupWidth(cols), perRow = (cols + g - 1) / g;
        GroupScale[] s = new GroupScale[rows * perRow];
        for (int r = 0; r < rows; r++) {
            for (int k = 0; k < perRow; k++) s[r * perRow + k] = bestScale(w, r * cols + k * g, Math.min(g, cols - k * g));
        }
        return s;
    }

    /** The group's scale: plain, or the best of the clipping candidates. */
    public GroupScale bestScale(float[] w, int off, int n) {
        if (!search) return grid.fit(w, off, n, 1f);
        GroupScale best = null;
        double bestError = Double.POSITIVE_INFINITY;
        for (float shrink : SHRINKS) {
            GroupScale s = grid.fit(w, off, n, shrink);
            double e = groupError(s, w, off, n);
            if (e < bestError) {
                bestError = e;
                best = s;
            }
        }
        return best;
    }

    /** Σ (w − dequant(quant(w)))² over the group. */
    double groupError(GroupScale s, float[] w, int off, int n) {
        double e = 0;
        for (int i = off; i < off + n; i++) {
            float back = s.scale() * grid.level(grid.nearest(s.toGrid(w[i]))) + s.offset();
            e += (double) (w[i] - back) * (w[i] - back);
        }
        return e;
    }
}
