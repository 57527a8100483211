package dev.lowbit.engine.model;

/**
 * The rows of one forward call, as llama.cpp's {@code llama_batch}: row r runs token {@code token(r)} at position
 * {@code position(r)} of the sequence whose keys and values {@code cache(r)} holds, and asks for its logits or not.
 * One sequence's prompt is consecutive rows of one cache; a decoding step of several sequences is one row each.
 * Every matrix then reads all rows at once, so its weights stream from memory once per call. The caller owns it
 * and fills it anew for each call.
 */
public final class TokenBatch {
    private final int capacity;
    private final int[] tokens;
    private final int[] positions;
    private final KvCache[] caches;
    private final int[] logitRows; // rows whose logits are wanted, in order: logits row j is row logitRows[j]
    private int size;
    private int logitCount;

    public TokenBatch(int capacity) {
        if (capacity <= 0) throw new IllegalArgumentException("a batch holds at least one token");
        this.capacity = capacity;
        tokens = new int[capacity];
        positions = new int[capacity];
        caches = new KvCache[capacity];
        logitRows = new int[capacity];
    }

    public void clear() {
        size = 0;
        logitCount = 0;
    }

    /** Adds a row; returns the index of its logits row, or −1 when it asked for none. */
    public int add(KvCache cache, int token, int position, boolean logits) {
        if (size == capacity) throw new IllegalStateException("the batch is full at " + capacity + " tokens");
        if (position < 0 || position >= cache.contextLength) {
            throw new IllegalArgumentException("position " + position + " exceeds the context of " + cache.contextLength);
        }
        tokens[size] = token;
        positions[size] = position;
        caches[size] = cache;
        size++;
        if (!logits) return -1;
        logitRows[logitCount] = size - 1;
        return logitCount++;
    }

    public int size() {
        return size;
    }

    public int token(int r) {
        return tokens[r];
    }

    public int position(int r) {
        return positions[r];
    }

    public KvCache cache(int r) {
        return caches[r];
    }

    /** Whether every row belongs to one sequence (a prompt), so the rows may run as one batched product. */
    public boolean oneSequence() {
        for (int r = 1; r < size; r++) if (caches[r] != caches[0]) return false;
        return true;
    }

    public int logitCount() {
        return logitCount;
    }

    /** The batch row of logits row j. */
    public int logitRow(int j) {
        return logitRows[j];
    }
}
