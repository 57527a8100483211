package dev.lowbit.engine.train;

/**
 * KL(teacher ‖ student) = Σ_v p_v (log p_v − log q_v) per position, with p = softmax(teacher logits) and
 * q = softmax(student logits); its gradient with respect to the student's logits is q − p.
 */
public final class KlLoss {
    private KlLoss() {}

    /**
     * The KL of each of {@code positions} rows summed; the student's row is replaced by {@code weight} · (q − p).
     */
    public static double lossAndGradient(float[] teacher, float[] student, int positions, int vocab, float weight) {
        return kl(teacher, student, positions, vocab, weight, true);
    }

    /** The KL summed over rows; the student's logits are left as they are. */
    public static double loss(float[] teacher, float[] student, int positions, int vocab) {
        return kl(teacher, student, positions, vocab, 0f, false);
    }

    private static double kl(float[] teacher, float[] student, int positions, int vocab, float weight, boolean gradient) {
        double total = 0;
        double[] logP = new double[vocab];
        for (int t = 0; t < positions; t++) {
            int o = t * vocab;
            double lseT = logSumExp(teacher, o, vocab), lseS = logSumExp(student, o, vocab);
            double kl = 0;
            for (int i = 0; i < vocab; i++) {
                logP[i] = teacher[o + i] - lseT;
                double pi = Math.exp(logP[i]);
                kl += pi * (logP[i] - (student[o + i] - lseS));
            }
            if (gradient) {
                for (int i = 0; i < vocab; i++) student[o + i] = (float) (weight * (Math.exp(student[o + i] - lseS) - Math.exp(logP[i])));
            }
            total += kl;
        }
        return total;
    }

    static double logSumExp(float[] x, int off, int n) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, x[off + i]);
        double s = 0;
        for (int i = 0; i < n; i++) s += Math.exp(x[off + i] - max);
        return max + Math.log(s);
    }
}
