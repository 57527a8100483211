package dev.lowbit.quant.awq;

import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.RtnQuantizer;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * AWQ's grid search for one group of linear layers that share an input: scales s = (mean |x|)^α, normalized by
 * sqrt(max s · min s), for each α; the group is quantized as Q(W·diag(s))·diag(s)⁻¹ and scored by the caller's
 * loss on calibration tokens. α = 0 gives s = 1, plain RTN, so the choice is never worse than RTN on that loss.
 */
final class ScaleSearch {
    private ScaleSearch() {}

    /** Mean squared difference between the group's full-precision output and its output with {@code candidates}. */
    @FunctionalInterface
    interface Loss {
        double of(List<WeightMatrix> candidates);
    }

    /** The chosen α and scales, its loss, and the loss at α = 0 (RTN) for comparison. */
    record Choice(float alpha, float[] scales, double loss, double rtnLoss) {
        /** RTN's loss over the chosen one (1 when α = 0 wins). */
        double gain() {
            return loss == 0 ? 1 : rtnLoss / loss;
        }
    }

    static Choice search(float[] meanAbs, List<DenseMatrix> weights, Loss loss, RtnQuantizer quantizer, AwqSettings settings,
                         WorkerPool pool) {
        Choice best = null;
        double rtnLoss = Double.NaN;
        for (int i = 0; i < settings.alphaSteps(); i++) {
            float alpha = settings.alpha(i);
            float[] s = scales(meanAbs, alpha);
            double l;
            try (Arena arena = Arena.ofShared()) { // the pool's threads read the candidates
                List<WeightMatrix> candidates = new ArrayList<>(weights.size());
                for (DenseMatrix w : weights) candidates.add(w.quantizedWithScales(s, quantizer, pool).toMatrix(arena));
                l = loss.of(candidates);
            }
            if (i == 0) rtnLoss = l;
            if (best == null || l < best.loss()) best = new Choice(alpha, s, l, rtnLoss);
        }
        return new Choice(best.alpha(), best.scales(), best.loss(), rtnLoss);
    }

    /** s = max(mean|x|^α, 1e-4) / sqrt(max s · min s). Exactly 1 everywhere for α = 0. */
    static float[] scales(float[] meanAbs, float alpha) {
        float[] s = new float[meanAbs.length];
        float max = 0, min = Float.POSITIVE_INFINITY;
        for (int c = 0; c < s.length; c++) {
            s[c] = Math.max((float) Math.pow(meanAbs[c], alpha), 1e-4f);
            max = Math.max(max, s[c]);
            min = Math.min(min, s[c]);
        }
        float norm = (float) Math.sqrt((double) max * min);
        for (int c = 0; c < s.length; c++) s[c] /= norm;
        return s;
    }

    /** Mean of (a − b)² over {@code n} values. */
    static double mse(float[] a, float[] b, int n) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double d = a[i] - b[i];
            sum += d * d;
        }
        return sum / n;
    }
}
