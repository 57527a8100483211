package dev.lowbit.engine.model;

import dev.lowbit.kernels.PreparedInputs;

/**
 * Activation buffers for up to {@code maxBatch} tokens at a time and attention scores over up to
 * {@code contextLength} positions; for one sequence also its KV cache, for a batch of several
 * sequences none (each {@link TokenBatch} row names its own). Allocated once; the forward pass allocates nothing.
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
    final KvCache cache;    // the sequence's keys and values, or null in a state for several sequences
    final TokenBatch rows;  // what the single-sequence calls fill for the forward pass
    final float[] logits;   // (rows that asked for logits) × vocab
    final PreparedInputs prepared = new PreparedInputs(); // one token's input as the matrices read it (tables)
    final PreparedInputs[] preparedRows; // the same per row, for a step of several sequences (each row on its own)

    /** A state for one sequence, with its own KV cache. */
    public InferenceState(LlamaConfig c, int contextLength, int maxBatch) {
        this(c, contextLength, maxBatch, new KvCache(c, contextLength));
    }

    /** A state for rows of any sequences whose caches hold at most {@code contextLength} positions. */
    public static InferenceState forBatches(LlamaConfig c, int contextLength, int maxBatch) {
        return new InferenceState(c, contextLength, maxBatch, null);
    }

    private InferenceState(LlamaConfig c, int contextLength, int maxBatch, KvCache cache) {
        if (contextLength <= 0) throw new IllegalArgumentException("context length must be positive");
        if (maxBatch <= 0) throw new IllegalArgumentException("batch size must be positive");
        this.maxBatch = maxBatch;
        this.contextLength = contextLength;
        this.cache = cache;
        this.rows = new TokenBatch(maxBatch);
        this.preparedRows = new PreparedInputs[maxBatch];
        for (int t = 0; t < maxBatch; t++) preparedRows[t] = new PreparedInputs();
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
        logits = new float[Math.multiplyExact(maxBatch, c.vocabSize())];
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
     * Logits written by the last forward call: row j (of vocab floats) is the prediction after the j-th row that
     * asked for logits (every token of the call, or its last only).
     */
    public float[] logits() {
        return logits;
    }
}
