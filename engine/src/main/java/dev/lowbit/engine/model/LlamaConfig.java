package dev.lowbit.engine.model;

/**
 * Hyper-parameters of a Llama-family decoder.
 *
 * @param dim           model (residual) width
 * @param hiddenDim     SwiGLU inner width
 * @param headDim       width of one attention head (usually dim / nHeads, not always)
 * @param contextLength the longest context the model was trained for
 */
public record LlamaConfig(
        int dim, int hiddenDim, int nLayers, int nHeads, int nKvHeads, int headDim,
        int vocabSize, int contextLength, float normEps, float ropeTheta, RopeStyle ropeStyle) {

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
