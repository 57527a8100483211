package dev.lowbit.engine.sampling;

import java.util.Arrays;
import java.util.SplittableRandom;

/** Draws token ids from logits according to {@link SamplerSettings}; buffers are allocated once. */
public final class Sampler {
    private final SamplerSettings settings;
    private final SplittableRandom random;
    private final float[] probs;
    private final long[] order; // (probability bits << 32 | id): sorts by probability as plain longs

    public Sampler(SamplerSettings settings, int vocabSize) {
        this.settings = settings;
        this.random = new SplittableRandom(settings.seed());
        this.probs = new float[vocabSize];
        this.order = new long[vocabSize];
    }

    public SamplerSettings settings() {
        return settings;
    }

    /** Samples from {@code logits[offset .. offset+vocab)}. */
    public int sample(float[] logits, int offset) {
        int n = probs.length;
        if (settings.isGreedy()) return argmax(logits, offset, n);

        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[offset + i]);
        double sum = 0;
        float invT = 1f / settings.temperature();
        for (int i = 0; i < n; i++) {
            float p = (float) Math.exp((logits[offset + i] - max) * invT);
            probs[i] = p;
            sum += p;
        }
        for (int i = 0; i < n; i++) probs[i] = (float) (probs[i] / sum);

        // Candidates sorted by descending probability. Probabilities are non-negative, so their float bits
        // order like the values; sorting (bits << 32 | id) as longs is a primitive sort with no boxing.
        for (int i = 0; i < n; i++) order[i] = ((long) Float.floatToRawIntBits(probs[i]) << 32) | i;
        Arrays.sort(order, 0, n);
        int kept = n;
        if (settings.topK() > 0) kept = Math.min(kept, settings.topK());
        // Walk from the most likely down (the end of the ascending array).
        double mass = 0;
        float best = prob(n - 1);
        int count = 0;
        for (int j = n - 1; j >= n - kept; j--) {
            float p = prob(j);
            if (count > 0 && p < settings.minP() * best) break;
            mass += p;
            count++;
            if (mass >= settings.topP()) break;
        }
        double r = random.nextDouble() * mass;
        double cumulative = 0;
        for (int j = n - 1; j > n - 1 - count; j--) {
            cumulative += prob(j);
            if (r < cumulative) return id(j);
        }
        return id(n - count); // rounding: the least likely kept candidate
    }

    private float prob(int j) {
        return Float.intBitsToFloat((int) (order[j] >>> 32));
    }

    private int id(int j) {
        return (int) order[j];
    }

    public static int argmax(float[] values, int offset, int n) {
        int best = 0;
        for (int i = 1; i < n; i++) if (values[offset + i] > values[offset + best]) best = i;
        return best;
    }
}
