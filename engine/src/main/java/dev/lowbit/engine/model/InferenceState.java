package dev.lowbit.engine.model;

import dev.lowbit.kernels.PreparedInputs;

/**
 * Everything one sequence needs while it runs: activation buffers for up to {@code maxBatch} tokens at a time,
 * and the KV cache for {@code contextLength} positions. Allocated once; the forward pass allocates nothing.
 */
public final class InferenceState {
    final int maxBatch;
    final int contextLength;

    final float[] x;        // residual stream, batch × dim
    final float[] xb;       // normed input of the current sub-block, batch × dim
    final float[] xb2;      // sub-block output, batch × dim
    final float[] q;        // batch × qDim
    final float[] k;        // batch × kvDim
    final float[] v;        // batch × kvDim
    final float[] attOut;   // batch × qDim
    final float[] hb;       // gate, batch × hiddenDim
    final float[] hb2;      // up, batch × hiddenDim
    final float[] scores;   // nHeads × contextLength attention scores
    // layer → KV head × position × headDim: each head's keys and values are contiguous, so attention streams them
    // (position-major rows 2 KB apart at 1B shapes defeated the prefetcher: 26 ms of a 71 ms token at position 1000).
    final float[][] keyCache;
    final float[][] valueCache;
    final float[] logits;   // batch × vocab (all positions) or vocab (last position)
    final PreparedInputs prepared = new PreparedInputs(); // one token's input as the matrices read it (tables)

    public InferenceState(LlamaConfig c, int contextLength, int maxBatch) {
        if (contextLength <= 0) throw new IllegalArgumentException("context length must be positive");
        if (maxBatch <= 0) throw new IllegalArgumentException("batch size must be positive");
        this.maxBatch = maxBatch;
        this.contextLength = contextLength;
        x = new float[maxBatch * c.dim()];
        xb = new float[maxBatch * c.dim()];
        xb2 = new float[maxBatch * c.dim()];
        q = new float[maxBatch * c.qDim()];
        k = new float[maxBatch * c.kvDim()];
        v = new float[maxBatch * c.kvDim()];
        attOut = new float[maxBatch * c.qDim()];
        hb = new float[maxBatch * c.hiddenDim()];
        hb2 = new float[maxBatch * c.hiddenDim()];
        scores = new float[c.nHeads() * contextLength];
        keyCache = new float[c.nLayers()][Math.multiplyExact(contextLength, c.kvDim())];
        valueCache = new float[c.nLayers()][Math.multiplyExact(contextLength, c.kvDim())];
        logits = new float[Math.multiplyExact(maxBatch, c.vocabSize())];
    }

    /** Where the row of KV head g at position pos starts in a layer's key or value cache (head-major layout). */
    int cacheRow(int g, int pos, int headDim) {
        return (g * contextLength + pos) * headDim;
    }

    public int maxBatch() {
        return maxBatch;
    }

    public int contextLength() {
        return contextLength;
    }

    /**
     * The residual stream: {@code maxBatch × dim} floats, row t for the t-th token of the current call. Between
     * {@link LlamaModel#attentionBlock} and {@link LlamaModel#feedForwardBlock} calls it is the blocks' input
     * and output (calibration reads and writes it); the embedding lookup fills it at the start of a forward call.
     */
    public float[] residual() {
        return x;
    }

    /**
     * Logits written by the last forward call: row t (of vocab floats) is the prediction after token t of
     * that call, or row 0 only when it asked for the last position.
     */
    public float[] logits() {
        return logits;
    }
}
