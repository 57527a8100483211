package dev.lowbit.engine.model;

/**
 * Hyper-parameters of a Llama-family decoder.
 *
 * @param dim              model (residual) width
 * @param hiddenDim        SwiGLU inner width
 * @param headDim          width of one attention head (usually dim / nHeads, not always)
 * @param contextLength    the longest context the model was trained for
 * @param ropeFrequencies  the angle per position of each rotated pair (headDim / 2 values): theta^(−2i/headDim), or
 *                         those scaled per pair (Llama 3.1's {@code rope_scaling}, GGUF's {@code rope_freqs}). Part
 *                         of the configuration so that no path from a source to a model can drop the scaling.
 *                         Fewer than headDim / 2 rotate only the first dimensions of each head (partial rotary:
 *                         Phi-4-mini rotates 96 of 128).
 * @param noRopeEvery      0, or n: every n-th layer (layers n−1, 2n−1, …) applies no RoPE (SmolLM3: 4)
 * @param traits           where the model departs from the Llama block (Gemma, Mistral's sliding window, LongRoPE)
 */
public record LlamaConfig(
        int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int headDim,
        int vocabSize, int contextLength, float normEps, float ropeTheta, RopeStyle ropeStyle, double[] ropeFrequencies,
        int noRopeEvery, ModelTraits traits) {

    /** A configuration with the standard frequencies of {@code ropeTheta}. */
    public LlamaConfig(int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int headDim,
                       int vocabSize, int contextLength, float normEps, float ropeTheta, RopeStyle ropeStyle) {
        this(dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, contextLength, normEps, ropeTheta, ropeStyle, null, 0, ModelTraits.LLAMA);
    }

    public LlamaConfig {
        require(dim > 0, "dim must be positive");
        require(hiddenDim > 0, "hidden size must be positive");
        require(nLayers > 0, "layer count must be positive");
        require(nHeads > 0 && nKvHeads > 0, "head counts must be positive");
        require(nHeads % nKvHeads == 0, "query heads (" + nHeads + ") must be a multiple of KV heads (" + nKvHeads + ")");
        require(headDim > 0 && headDim % 2 == 0, "head size must be positive and even, got " + headDim);
        require(vocabSize > 0, "vocabulary size must be positive");
        require(contextLength > 0, "context length must be positive");
        require(normEps > 0 && Float.isFinite(normEps), "norm epsilon must be positive");
        require(ropeTheta > 0 && Float.isFinite(ropeTheta), "rope theta must be positive");
        require(ropeStyle != null, "rope style missing");
        if (ropeFrequencies == null) ropeFrequencies = Rope.standardFrequencies(headDim, ropeTheta);
        require(ropeFrequencies.length > 0 && ropeFrequencies.length <= headDim / 2, ropeFrequencies.length + " RoPE frequencies for head size " + headDim);
        for (double f : ropeFrequencies) require(f > 0 && Double.isFinite(f), "RoPE frequency " + f + " is not positive");
        ropeFrequencies = ropeFrequencies.clone();
        require(noRopeEvery >= 0, "no-RoPE layer interval " + noRopeEvery + " is negative");
        require(traits != null, "model traits missing");
        require(traits.slidingLayers() == null || traits.slidingLayers().length == nLayers,
                "sliding-window flags for " + (traits.slidingLayers() == null ? 0 : traits.slidingLayers().length) + " layers, model has " + nLayers);
        require(traits.slidingRopeFrequencies() == null || traits.slidingRopeFrequencies().length == ropeFrequencies.length,
                "sliding-layer RoPE frequencies do not match the model's " + ropeFrequencies.length);
        require(traits.longRopeFrequencies() == null || traits.longRopeFrequencies().length == ropeFrequencies.length,
                "long RoPE frequencies do not match the model's " + ropeFrequencies.length);
    }

    /** Dimensions of each head that RoPE rotates (the first ones; all but with partial rotary). */
    public int ropeDim() {
        return 2 * ropeFrequencies.length;
    }

    /** The factor on q·k: the traits' query scale, or 1/√headDim. */
    public float attentionScale() {
        return traits.queryScale() != 0f ? traits.queryScale() : (float) (1.0 / Math.sqrt(headDim));
    }

    /** The same configuration with other traits. */
    public LlamaConfig withTraits(ModelTraits t) {
        return new LlamaConfig(dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, contextLength, normEps, ropeTheta, ropeStyle,
                ropeFrequencies, noRopeEvery, t);
    }

    /** Whether layer l rotates q and k. */
    public boolean ropeInLayer(int l) {
        return noRopeEvery == 0 || (l + 1) % noRopeEvery != 0;
    }

    /** The same configuration with every n-th layer without RoPE (0: none). */
    public LlamaConfig withNoRopeEvery(int n) {
        return new LlamaConfig(dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, contextLength, normEps, ropeTheta, ropeStyle,
                ropeFrequencies, n, traits);
    }

    /** The same configuration with other RoPE frequencies (scaled ones). */
    public LlamaConfig withRopeFrequencies(double[] frequencies) {
        return new LlamaConfig(dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, contextLength, normEps, ropeTheta, ropeStyle,
                frequencies, noRopeEvery, traits);
    }

    @Override
    public double[] ropeFrequencies() {
        return ropeFrequencies.clone();
    }

    /** True when the frequencies are not the standard ones of {@code ropeTheta}. */
    public boolean ropeScaled() {
        return !java.util.Arrays.equals(ropeFrequencies, Rope.standardFrequencies(ropeDim(), ropeTheta));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LlamaConfig c && dim == c.dim && hiddenDim == c.hiddenDim && nLayers == c.nLayers && nHeads == c.nHeads
                && nKvHeads == c.nKvHeads && headDim == c.headDim && vocabSize == c.vocabSize && contextLength == c.contextLength
                && Float.compare(normEps, c.normEps) == 0 && Float.compare(ropeTheta, c.ropeTheta) == 0 && ropeStyle == c.ropeStyle
                && java.util.Arrays.equals(ropeFrequencies, c.ropeFrequencies) && noRopeEvery == c.noRopeEvery && traits.equals(c.traits);
    }

    @Override
    public int hashCode() {
        return java.util.Objects.hash(dim, hiddenDim, nLayers, nHeads, nKvHeads, headDim, vocabSize, contextLength, normEps, ropeTheta, ropeStyle)
                * 31 + java.util.Arrays.hashCode(ropeFrequencies) * 7 + noRopeEvery + 11 * traits.hashCode();
    }

    @Override
    public String toString() {
        return "LlamaConfig[dim=" + dim + ", hiddenDim=" + hiddenDim + ", nLayers=" + nLayers + ", nHeads=" + nHeads + ", nKvHeads=" + nKvHeads
                + ", headDim=" + headDim + ", vocabSize=" + vocabSize + ", contextLength=" + contextLength + ", normEps=" + normEps
                + ", ropeTheta=" + ropeTheta + ", ropeStyle=" + ropeStyle + (ropeScaled() ? ", RoPE scaled" : "")
                + (ropeDim() < headDim ? ", RoPE on " + ropeDim() + " dims" : "")
                + (noRopeEvery > 0 ? ", no RoPE every " + noRopeEvery + " layers" : "") + (traits.isLlama() ? "" : ", " + traits) + "]";
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    public int qDim() {
        return nHeads * headDim;
    }

    public int kvDim() {
        return nKvHeads * headDim;
    }

    /** Query heads sharing one KV head (grouped-query attention). */
    public int groupSize() {
        return nHeads / nKvHeads;
    }
}
