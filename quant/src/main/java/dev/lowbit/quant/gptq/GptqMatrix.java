package dev.lowbit.quant.gptq;

import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.GroupCodes;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.grid.Grid;
import dev.lowbit.quant.grid.GroupScale;

/**
 * GPTQ (Frantar et al., 2022) for one weight matrix: columns are rounded one at a time, to the nearest level of
 * the grid with each group's scale, and each column's rounding error is spread over the columns not yet rounded
 * through the inverse Hessian in Cholesky form (U with UᵀU = H⁻¹): W[:, j] −= (w − q)/U[i][i] · U[i][j]. Columns
 * go in blocks of 128 whose updates to later blocks are applied once per block (lazy batch updates).
 *
 * <p>Dead inputs (H[i][i] = 0) get H[i][i] = 1 and zero weights; the diagonal is damped by {@code damp} times its
 * mean. Group scales are fitted, as RTN's, when a group's first column comes up, on the weights updated so far;
 * with act-order, columns go in order of decreasing H[i][i] and scales are fitted beforehand on the original
 * weights (static groups), so each group keeps its columns and stored order.
 */
public final class GptqMatrix {
    public static final int BLOCK = 128;

    private final Grid grid;
    private final RtnQuantizer rtn;
    private final float damp;
    private final boolean actOrder;

    public GptqMatrix(Grid grid, RtnQuantizer rtn, float damp, boolean actOrder) {
        if (!(damp >= 0) || !Float.isFinite(damp)) throw new IllegalArgumentException("--damp must be zero or positive, got " + damp);
        this.grid = grid;
        this.rtn = rtn;
        this.damp = damp;
        this.actOrder = actOrder;
    }

    /** The rounding of {@code w} ({@code rows × cols}, row-major) for inputs whose H = 2·XᵀX/N is {@code h} (cols × cols). */
    public GroupCodes round(float[] w, int rows, int cols, double[] h, WorkerPool pool) {
        if (h.length != (long) cols * cols) throw new IllegalArgumentException("Hessian of " + h.length + " values for " + cols + " inputs");
        int gw = rtn.groupWidth(cols), perRow = (cols + gw - 1) / gw;
        double[] work = new double[w.length]; // the weights as updated, in processing order
        int[] perm = new int[cols];
        for (int i = 0; i < cols; i++) perm[i] = i;
        if (actOrder) {
            Integer[] order = new Integer[cols];
            for (int i = 0; i < cols; i++) order[i] = i;
            java.util.Arrays.sort(order, (a, b) -> Double.compare(h[b * cols + b], h[a * cols + a]));
            for (int i = 0; i < cols; i++) perm[i] = order[i];
        }
        GroupScale[] scales = actOrder ? rtn.groupScales(w, rows, cols) : new GroupScale[rows * perRow];
        double[] hp = new double[h.length]; // H in processing order (a copy: the caller's stays as it is)
        for (int i = 0; i < cols; i++) for (int j = 0; j < cols; j++) hp[i * cols + j] = h[perm[i] * cols + perm[j]];
        for (int r = 0; r < rows; r++) for (int j = 0; j < cols; j++) work[r * cols + j] = w[r * cols + perm[j]];
        double mean = 0;
        for (int i = 0; i < cols; i++) {
            if (hp[i * cols + i] == 0) { // an input that never varies: its weights cannot matter
                hp[i * cols + i] = 1;
                for (int r = 0; r < rows; r++) work[r * cols + i] = 0;
            }
            mean += hp[i * cols + i];
        }
        mean /= cols;
        for (int i = 0; i < cols; i++) hp[i * cols + i] += damp * mean;
        double[] u = Cholesky.inverseUpper(hp, cols);

        byte[] codes = new byte[w.length];
        // Rows are independent: each thread takes whole rows through every block.
        pool.parallelFor(rows, 4, (r0, r1) -> {
            float[] groupValues = new float[gw];
            double[] err = new double[BLOCK];
            for (int r = r0; r < r1; r++) {
                int row = r * cols;
                for (int i1 = 0; i1 < cols; i1 += BLOCK) {
                    int i2 = Math.min(cols, i1 + BLOCK);
                    for (int i = i1; i < i2; i++) {
                        int col = perm[i];
                        if (!actOrder && col % gw == 0) {
                            int n = Math.min(gw, cols - col);
                            for (int j = 0; j < n; j++) groupValues[j] = (float) work[row + col + j];
                            scales[r * perRow + col / gw] = rtn.bestScale(groupValues, 0, n);
                        }
                        GroupScale s = scales[r * perRow + col / gw];
                        double wv = work[row + i];
                        int code = grid.nearest(s.toGrid((float) wv));
                        codes[row + col] = (byte) code;
                        double e = (wv - (s.scale() * grid.level(code) + s.offset())) / u[i * cols + i];
                        err[i - i1] = e;
                        for (int j = i + 1; j < i2; j++) work[row + j] -= e * u[i * cols + j];
                    }
                    // Lazy batch update: the block's errors reach the later columns at once.
                    for (int k = 0; k < i2 - i1; k++) {
                        double e = err[k];
                        if (e == 0) continue;
                        int ui = (i1 + k) * cols;
                        for (int j = i2; j < cols; j++) work[row + j] -= e * u[ui + j];
                    }
                }
            }
        });
        return new GroupCodes(grid, rows, cols, gw, codes, scales);
    }
}
