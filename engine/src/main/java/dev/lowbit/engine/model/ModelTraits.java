package dev.lowbit.engine.model;

import java.util.Arrays;

/**
 * Where a model departs from the Llama block, each trait at its Llama value by default ({@link #LLAMA}). Gemma 2 and 3
 * use most of them; Mistral checkpoints may set a sliding window; Phi-3's LongRoPE scales the rotation's magnitude.
 * Extra per-layer norms (Gemma's post-attention and post-MLP norms) are weights, not traits: a layer has them or not.
 *
 * @param activation         the gate's activation in the MLP: SiLU (Llama), tanh-GELU (Gemma)
 * @param embeddingScale     factor on each embedding row before the first block (Gemma: √dim)
 * @param queryScale         factor on q·k before the softmax; 0 for Llama's 1/√headDim (Gemma: query_pre_attn_scalar^−½)
 * @param attentionSoftcap   c in s ← c·tanh(s/c) on attention scores, 0 for none (Gemma 2: 50)
 * @param finalSoftcap       the same on the logits, 0 for none (Gemma 2: 30)
 * @param slidingWindow      sliding layers attend to the last {@code slidingWindow} positions (the current one included);
 *                           0 when every layer sees the whole context
 * @param slidingLayers      per layer, whether it slides; null when {@code slidingWindow} is 0
 * @param slidingRopeFrequencies RoPE angle per pair in the sliding layers (Gemma 3's local base 10000); null: the model's
 * @param ropeMagnitude      factor on RoPE's cos and sin (LongRoPE's attention factor); 1 for none
 * @param longRopeFrequencies RoPE angle per pair when a sequence's context exceeds {@code ropeOriginalContext}
 *                           (LongRoPE's long factors; llama.cpp chooses them by the context it runs with); null for none
 * @param ropeOriginalContext the context the short factors are for (0 when there are no long ones)
 */
public record ModelTraits(Activation activation, float embeddingScale, float queryScale, float attentionSoftcap, float finalSoftcap,
                          int slidingWindow, boolean[] slidingLayers, double[] slidingRopeFrequencies, float ropeMagnitude,
                          double[] longRopeFrequencies, int ropeOriginalContext) {

    /** The gate activation of the MLP: down · (act(gate · x) ⊙ up · x). */
    public enum Activation { SILU, GELU_TANH }

    public static final ModelTraits LLAMA = new ModelTraits(Activation.SILU, 1f, 0f, 0f, 0f, 0, null, null, 1f, null, 0);

    public ModelTraits {
        require(activation != null, "activation missing");
        require(embeddingScale > 0 && Float.isFinite(embeddingScale), "embedding scale " + embeddingScale + " is not positive");
        require(queryScale >= 0 && Float.isFinite(queryScale), "query scale " + queryScale + " is negative");
        require(attentionSoftcap >= 0 && Float.isFinite(attentionSoftcap), "attention soft-cap " + attentionSoftcap + " is negative");
        require(finalSoftcap >= 0 && Float.isFinite(finalSoftcap), "final soft-cap " + finalSoftcap + " is negative");
        require(slidingWindow >= 0, "sliding window " + slidingWindow + " is negative");
        require((slidingWindow > 0) == (slidingLayers != null), "a sliding window needs its layers, and layers a window");
        require(ropeMagnitude > 0 && Float.isFinite(ropeMagnitude), "RoPE magnitude " + ropeMagnitude + " is not positive");
        if (slidingRopeFrequencies != null) {
            for (double f : slidingRopeFrequencies) require(f > 0 && Double.isFinite(f), "sliding-layer RoPE frequency " + f + " is not positive");
            slidingRopeFrequencies = slidingRopeFrequencies.clone();
        }
        if (slidingLayers != null) slidingLayers = slidingLayers.clone();
        require((longRopeFrequencies == null) == (ropeOriginalContext == 0), "long RoPE factors come with their original context");
        require(ropeOriginalContext >= 0, "original context " + ropeOriginalContext + " is negative");
        if (longRopeFrequencies != null) {
            for (double f : longRopeFrequencies) require(f > 0 && Double.isFinite(f), "long RoPE frequency " + f + " is not positive");
            longRopeFrequencies = longRopeFrequencies.clone();
        }
    }

    /** Every layer but each {@code period}-th slides (llama.cpp's {@code sliding_window_pattern}; Gemma 2: 2, Gemma 3: 6). */
    public static boolean[] everyLayerBut(int period, int layers) {
        require(period >= 0, "sliding window pattern " + period + " is negative");
        boolean[] sliding = new boolean[layers];
        for (int l = 0; l < layers; l++) sliding[l] = period == 0 || l % period < period - 1;
        return sliding;
    }

    /** Whether layer {@code l} attends through the sliding window. */
    public boolean slides(int l) {
        return slidingLayers != null && slidingLayers[l];
    }

    public boolean isLlama() {
        return equals(LLAMA);
    }

    @Override
    public boolean[] slidingLayers() {
        return slidingLayers == null ? null : slidingLayers.clone();
    }

    @Override
    public double[] slidingRopeFrequencies() {
        return slidingRopeFrequencies == null ? null : slidingRopeFrequencies.clone();
    }

    public ModelTraits withActivation(Activation a) {
        return new ModelTraits(a, embeddingScale, queryScale, attentionSoftcap, finalSoftcap, slidingWindow, slidingLayers, slidingRopeFrequencies, ropeMagnitude, longRopeFrequencies, ropeOriginalContext);
    }

    public ModelTraits withEmbeddingScale(float s) {
        return new ModelTraits(activation, s, queryScale, attentionSoftcap, finalSoftcap, slidingWindow, slidingLayers, slidingRopeFrequencies, ropeMagnitude, longRopeFrequencies, ropeOriginalContext);
    }

    public ModelTraits withQueryScale(float s) {
        return new ModelTraits(activation, embeddingScale, s, attentionSoftcap, finalSoftcap, slidingWindow, slidingLayers, slidingRopeFrequencies, ropeMagnitude, longRopeFrequencies, ropeOriginalContext);
    }

    public ModelTraits withSoftcaps(float attention, float fin) {
        return new ModelTraits(activation, embeddingScale, queryScale, attention, fin, slidingWindow, slidingLayers, slidingRopeFrequencies, ropeMagnitude, longRopeFrequencies, ropeOriginalContext);
    }

    /** A window of {@code window} positions in the layers flagged (window 0: none). */
    public ModelTraits withSlidingWindow(int window, boolean[] layers, double[] ropeFrequencies) {
        return new ModelTraits(activation, embeddingScale, queryScale, attentionSoftcap, finalSoftcap, window, window == 0 ? null : layers,
                window == 0 ? null : ropeFrequencies, ropeMagnitude, longRopeFrequencies, ropeOriginalContext);
    }

    public ModelTraits withRopeMagnitude(float m) {
        return new ModelTraits(activation, embeddingScale, queryScale, attentionSoftcap, finalSoftcap, slidingWindow, slidingLayers, slidingRopeFrequencies, m,
                longRopeFrequencies, ropeOriginalContext);
    }

    /** LongRoPE: these frequencies for sequences whose context exceeds {@code originalContext}. */
    public ModelTraits withLongRope(double[] frequencies, int originalContext) {
        return new ModelTraits(activation, embeddingScale, queryScale, attentionSoftcap, finalSoftcap, slidingWindow, slidingLayers, slidingRopeFrequencies,
                ropeMagnitude, frequencies, originalContext);
    }

    @Override
    public double[] longRopeFrequencies() {
        return longRopeFrequencies == null ? null : longRopeFrequencies.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ModelTraits t && activation == t.activation && Float.compare(embeddingScale, t.embeddingScale) == 0
                && Float.compare(queryScale, t.queryScale) == 0 && Float.compare(attentionSoftcap, t.attentionSoftcap) == 0
                && Float.compare(finalSoftcap, t.finalSoftcap) == 0 && slidingWindow == t.slidingWindow
                && Arrays.equals(slidingLayers, t.slidingLayers) && Arrays.equals(slidingRopeFrequencies, t.slidingRopeFrequencies)
                && Float.compare(ropeMagnitude, t.ropeMagnitude) == 0 && Arrays.equals(longRopeFrequencies, t.longRopeFrequencies)
                && ropeOriginalContext == t.ropeOriginalContext;
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(activation, embeddingScale, queryScale, attentionSoftcap, finalSoftcap, slidingWindow, ropeMagnitude, ropeOriginalContext)
                * 31 + Arrays.hashCode(slidingLayers) * 7 + Arrays.hashCode(slidingRopeFrequencies) * 3 + Arrays.hashCode(longRopeFrequencies);
    }

    @Override
    public String toString() {
        if (isLlama()) return "llama";
        StringBuilder s = new StringBuilder(activation.name().toLowerCase());
        if (embeddingScale != 1f) s.append(", embedding ×").append(embeddingScale);
        if (queryScale != 0f) s.append(", query scale ").append(queryScale);
        if (attentionSoftcap != 0f) s.append(", attention soft-cap ").append(attentionSoftcap);
        if (finalSoftcap != 0f) s.append(", final soft-cap ").append(finalSoftcap);
        if (slidingWindow > 0) s.append(", sliding window ").append(slidingWindow);
        if (ropeMagnitude != 1f) s.append(", RoPE magnitude ").append(ropeMagnitude);
        if (longRopeFrequencies != null) s.append(", long RoPE factors beyond ").append(ropeOriginalContext).append(" tokens");
        return s.toString();
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }
}
