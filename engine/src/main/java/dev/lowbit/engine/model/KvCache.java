package dev.lowbit.engine.model;

/**
 * One sequence's keys and values for up to {@code contextLength} positions, per layer. Head-major (KV head ×
 * position × headDim): each head's keys and values are contiguous, so attention streams them (position-major rows
 * 2 KB apart at 1B shapes defeated the prefetcher: 26 ms of a 71 ms token at position 1000).
 */
public final class KvCache {
    final int contextLength;
    final float[][] keys;   // layer → KV head × position × headDim
    final float[][] values;

    public KvCache(LlamaConfig c, int contextLength) {
        if (contextLength <= 0) throw new IllegalArgumentException("context length must be positive");
        if (contextLength > c.contextLength()) {
            throw new IllegalArgumentException("context " + contextLength + " exceeds the model's " + c.contextLength());
        }
        this.contextLength = contextLength;
        keys = new float[c.nLayers()][Math.multiplyExact(contextLength, c.kvDim())];
        values = new float[c.nLayers()][Math.multiplyExact(contextLength, c.kvDim())];
    }

    public int contextLength() {
        return contextLength;
    }

    /** Where the row of KV head g at position pos starts in a layer's key or value array. */
    int row(int g, int pos, int headDim) {
        return (g * contextLength + pos) * headDim;
    }
}
