package dev.lowbit.engine.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SamplerTest {
    /** Logits whose softmax is exactly {0.5, 0.3, 0.15, 0.05} at temperature 1. */
    static final float[] LOGITS = {(float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)};

    static int[] histogram(SamplerSettings s, int draws) {
        Sampler sampler = new Sampler(s, LOGITS.length);
        int[] counts = new int[LOGITS.length];
        for (int i = 0; i < draws; i++) counts[sampler.sample(LOGITS, 0)]++;
        return counts;
    }

    @Test
    void greedyIsArgmax() {
        assertEquals(2, new Sampler(SamplerSettings.greedy(), 4).sample(new float[] {1, 3, 7, -2}, 0));
        assertEquals(1, new Sampler(SamplerSettings.greedy(), 3).sample(new float[] {9, 0, 5, 2}, 1)); // offset
    }

    @Test
    void unfilteredSamplingFollowsTheSoftmax() {
        int n = 200_000;
        int[] counts = histogram(new SamplerSettings(1, 0, 1, 0, 42), n);
        double[] expected = {0.5, 0.3, 0.15, 0.05};
        for (int i = 0; i < 4; i++) {
            double sd = Math.sqrt(expected[i] * (1 - expected[i]) / n);
            assertEquals(expected[i], counts[i] / (double) n, 5 * sd, "token " + i);
        }
    }

    @Test
    void temperatureSharpensTheDistribution() {
        // At T = 0.5 probabilities go as p², normalized: 0.25/0.3550 ≈ 0.704 for the top token.
        int n = 100_000;
        int[] counts = histogram(new SamplerSettings(0.5f, 0, 1, 0, 1), n);
        double z = 0.25 + 0.09 + 0.0225 + 0.0025;
        assertEquals(0.25 / z, counts[0] / (double) n, 0.01);
    }

    @Test
    void filtersKeepOnlyTheRightCandidates() {
        assertArrayEquals(new int[] {5000, 0, 0, 0}, histogram(new SamplerSettings(1, 1, 1, 0, 3), 5000));
        int[] topK2 = histogram(new SamplerSettings(1, 2, 1, 0, 3), 50_000);
        assertEquals(0, topK2[2] + topK2[3]);
        assertEquals(0.5 / 0.8, topK2[0] / 50_000.0, 0.01);
        // top-p 0.7: 0.5 alone is short of 0.7, 0.5 + 0.3 reaches it: two candidates.
        int[] topP = histogram(new SamplerSettings(1, 0, 0.7f, 0, 3), 50_000);
        assertEquals(0, topP[2] + topP[3]);
        assertTrue(topP[1] > 0);
        // min-p 0.2: drop tokens below 0.2 × 0.5 = 0.1, i.e. only the 0.05 token.
        int[] minP = histogram(new SamplerSettings(1, 0, 1, 0.2f, 3), 50_000);
        assertEquals(0, minP[3]);
        assertTrue(minP[2] > 0);
    }

    @Test
    void sameSeedSameSequenceOtherSeedOtherSequence() {
        assertArrayEquals(histogram(new SamplerSettings(1, 0, 1, 0, 99), 1000), histogram(new SamplerSettings(1, 0, 1, 0, 99), 1000));
        int[] a = sequence(99), b = sequence(99), c = sequence(100);
        assertArrayEquals(a, b);
        assertTrue(!java.util.Arrays.equals(a, c));
    }

    private static int[] sequence(long seed) {
        Sampler s = new Sampler(new SamplerSettings(1, 0, 1, 0, seed), 4);
        int[] out = new int[64];
        for (int i = 0; i < out.length; i++) out[i] = s.sample(LOGITS, 0);
        return out;
    }

    @Test
    void invalidSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new SamplerSettings(-1, 0, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplerSettings(1, -1, 1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplerSettings(1, 0, 0, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplerSettings(1, 0, 1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> new SamplerSettings(Float.NaN, 0, 1, 0, 0));
    }
}
