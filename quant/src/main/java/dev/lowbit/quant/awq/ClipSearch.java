package dev.lowbit.quant.awq;

import dev.lowbit.kernels.VectorOps;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.RtnQuantizer;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * AWQ's clipping search: for every output row and group, clamp the weights to ±r·max|w| for r = 1, 0.95, …, keep
 * the r whose quantized group changes the layer's output least on the calibration subsample, and leave the
 * weights clamped so that the quantizer, fitting the group's range, uses that range.
 *
 * <p>The output error of a row change d within a group over tokens x is Σₜ (d·xₜ)² = dᵀ G d with G the group's
 * Gram matrix of the inputs, so each candidate costs g² operations however many tokens score it.
 */
final class ClipSearch {
    private ClipSearch() {}

    /** How many groups were clipped and the mean kept ratio. */
    record Stats(long groups, long clipped, double ratioSum) {
        static final Stats NONE = new Stats(0, 0, 0);

        Stats plus(Stats o) {
            return new Stats(groups + o.groups, clipped + o.clipped, ratioSum + o.ratioSum);
        }

        double clippedFraction() {
            return groups == 0 ? 0 : (double) clipped / groups;
        }

        double meanRatio() {
            return groups == 0 ? 1 : ratioSum / groups;
        }
    }

    static Stats apply(DenseMatrix w, InputStats input, RtnQuantizer quantizer, AwqSettings settings, WorkerPool pool) {
        if (settings.clipSteps() == 0) return Stats.NONE;
        int cols = w.cols(), g = quantizer.groupWidth(cols);
        float[][] grams = input.groupGrams(g);
        LongAdder clipped = new LongAdder();
        DoubleAdder ratios = new DoubleAdder();
        pool.parallelFor(w.rows(), 1, (from, to) -> {
            float[] candidate = new float[g], diff = new float[g];
            long clippedHere = 0;
            double ratioSum = 0;
            for (int r = from; r < to; r++) {
                for (int k = 0; k < grams.length; k++) {
                    int off = r * cols + k * g, n = Math.min(g, cols - k * g);
                    float ratio = bestRatio(w.values(), off, n, grams[k], quantizer, settings, candidate, diff);
                    float limit = ratio * absMax(w.values(), off, n);
                    for (int i = off; i < off + n; i++) w.values()[i] = Math.max(-limit, Math.min(limit, w.values()[i]));
                    ratioSum += ratio;
                    if (ratio < 1) clippedHere++;
                }
            }
            ratios.add(ratioSum);
            clipped.add(clippedHere);
        });
        return new Stats((long) w.rows() * grams.length, clipped.sum(), ratios.sum());
    }

    private static float bestRatio(float[] w, int off, int n, float[] gram, RtnQuantizer quantizer, AwqSettings settings,
                                   float[] candidate, float[] diff) {
        float max = absMax(w, off, n);
        if (max == 0) return 1;
        float best = 1;
        double bestError = Double.POSITIVE_INFINITY;
        for (int i = 0; i < settings.clipSteps(); i++) {
            float ratio = settings.clipRatio(i), limit = ratio * max;
            for (int j = 0; j < n; j++) candidate[j] = Math.max(-limit, Math.min(limit, w[off + j]));
            quantizer.roundTrip(candidate, 0, n);
            for (int j = 0; j < n; j++) diff[j] = w[off + j] - candidate[j];
            double error = 0;
            for (int j = 0; j < n; j++) error += diff[j] * VectorOps.dot(gram, j * n, diff, 0, n);
            if (error < bestError) {
                bestError = error;
                best = ratio;
            }
        }
        return best;
    }

    private static float absMax(float[] w, int off, int n) {
        float m = 0;
        for (int i = off; i < off + n; i++) m = Math.max(m, Math.abs(w[i]));
        return m;
    }
}
