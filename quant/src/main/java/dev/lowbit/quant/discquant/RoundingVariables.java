package dev.lowbit.quant.discquant;

import dev.lowbit.engine.train.Dense;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.GroupCodes;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.grid.Grid;
import dev.lowbit.quant.grid.GroupScale;
import java.util.SplittableRandom;

/**
 * DiscQuant's variables for one linear layer. Each weight w lies between its grid neighbours, down ≤ w ≤ up (with
 * the group scales fixed beforehand by the grid's own fit, as RTN's); one variable x ∈ [0, 1] per weight gives
 * W(x) = down + x·(up − down). y = (w − down)/(up − down) is RTN's position between them (0.5 where up = down).
 * Each step takes the gradient (1 − 2y) + clamp(ρ·∂L/∂W·(up − down), −κ, κ) through AdamW, then clamps x to
 * [0, 1]; the final rounding picks up where round(x) = 1 (half to even: 0.5 goes down).
 */
final class RoundingVariables {
    private final Grid grid;
    private final int rows, cols, groupWidth;
    private final GroupScale[] scales;
    private final float[] down, span, y, x, m, v;
    private final byte[] downCode, upCode;
    /** W(x), the weights the student runs with. */
    private final float[] current;
    private final double rtnSquaredError;

    RoundingVariables(Grid grid, RtnQuantizer rtn, Dense w, SplittableRandom random) {
        this.grid = grid;
        this.rows = w.rows();
        this.cols = w.cols();
        this.groupWidth = rtn.groupWidth(cols);
        this.scales = rtn.groupScales(w.w(), rows, cols);
        int n = w.w().length;
        down = new float[n];
        span = new float[n];
        y = new float[n];
        x = new float[n];
        m = new float[n];
        v = new float[n];
        downCode = new byte[n];
        upCode = new byte[n];
        current = new float[n];
        double error = 0;
        int perRow = (cols + groupWidth - 1) / groupWidth;
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                int i = r * cols + c;
                GroupScale s = scales[r * perRow + c / groupWidth];
                float u = s.toGrid(w.w()[i]);
                float lo = grid.below(u), hi = grid.above(u);
                int rtnCode = grid.nearest(u);
                downCode[i] = (byte) grid.nearest(lo);
                upCode[i] = (byte) grid.nearest(hi);
                down[i] = s.scale() * lo + s.offset();
                span[i] = s.scale() * hi + s.offset() - down[i];
                y[i] = position(u, lo, hi, rtnCode == (upCode[i] & 0xFF) && hi != lo);
                float rtnValue = s.scale() * grid.level(rtnCode) + s.offset();
                error += (double) (rtnValue - w.w()[i]) * (rtnValue - w.w()[i]);
                x[i] = (float) random.nextDouble();
                current[i] = down[i] + x[i] * span[i];
            }
        }
        rtnSquaredError = error / n;
    }

    /**
     * RTN's position of u between its neighbours, kept on RTN's side of one half: where float rounding puts an
     * exact or near tie on the other side, the constant term must still pull toward RTN's choice.
     */
    private static float position(float u, float lo, float hi, boolean rtnTakesUp) {
        if (hi == lo) return 0.5f;
        float p = (float) (((double) u - lo) / ((double) hi - lo));
        if (rtnTakesUp && p <= 0.5f) return Math.nextUp(0.5f);
        if (!rtnTakesUp && p >= 0.5f) return Math.nextDown(0.5f);
        return p;
    }

    /** mean((RTN(W) − W)²), for δ². */
    double rtnSquaredError() {
        return rtnSquaredError;
    }

    /** The student's weights W(x), updated in place by {@link #step}. */
    Dense dense() {
        return new Dense(current, rows, cols);
    }

    long bytes() {
        return 4L * 7 * x.length + 2L * x.length;
    }

    /** One AdamW step (1-based step count t) on x from ∂L/∂W, then x clamped to [0, 1] and W(x) refreshed. */
    void step(float[] dLdW, float lr, int t, DiscQuantSettings s, WorkerPool pool) {
        float b1c = (float) (1 - Math.pow(DiscQuantSettings.BETA1, t)), b2c = (float) (1 - Math.pow(DiscQuantSettings.BETA2, t));
        float rho = s.rho(), kappa = s.clamp(), decay = 1 - lr * s.weightDecay();
        pool.parallelFor(x.length, 1 << 14, (from, to) -> {
            for (int i = from; i < to; i++) {
                float g = (1 - 2 * y[i]) + Math.clamp(rho * dLdW[i] * span[i], -kappa, kappa);
                m[i] = DiscQuantSettings.BETA1 * m[i] + (1 - DiscQuantSettings.BETA1) * g;
                v[i] = DiscQuantSettings.BETA2 * v[i] + (1 - DiscQuantSettings.BETA2) * g * g;
                float next = x[i] * decay - lr * (m[i] / b1c) / ((float) Math.sqrt(v[i] / b2c) + DiscQuantSettings.ADAM_EPS);
                x[i] = Math.clamp(next, 0f, 1f);
                current[i] = down[i] + x[i] * span[i];
            }
        });
    }

    /** The weights of RTN's rounding (up where y > 0.5), or of the final one. */
    Dense rounded(boolean rtn) {
        float[] w = new float[x.length];
        for (int i = 0; i < w.length; i++) w[i] = down[i] + ((rtn ? y[i] > 0.5f : Math.rint(x[i]) == 1) ? span[i] : 0);
        return new Dense(w, rows, cols);
    }

    /** The final rounding: up where round(x) = 1, else down. */
    GroupCodes codes() {
        byte[] codes = new byte[x.length];
        for (int i = 0; i < x.length; i++) codes[i] = Math.rint(x[i]) == 1 ? upCode[i] : downCode[i];
        return new GroupCodes(grid, rows, cols, groupWidth, codes, scales.clone());
    }
}
