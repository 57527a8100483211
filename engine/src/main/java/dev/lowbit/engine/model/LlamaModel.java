package dev.lowbit.engine.model;

import dev.lowbit.kernels.MatrixGroup;
import dev.lowbit.kernels.VectorOps;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;

/**
 * The Llama-family decoder forward pass (Llama 1–3, Mistral, Qwen2/3, SmolLM3, Gemma 1–3, Phi-3, BitNet, TinyStories models).
 *
 * <p>Per block: x += Wo · attention(rope(Wq·n), rope(Wk·n), Wv·n) with n = rmsnorm(x);
 * then x += Wdown · (silu(Wgate·n) ⊙ Wup·n) with n = rmsnorm(x). Finally logits = Wcls · rmsnorm(x).
 * Where a model departs from that ({@link ModelTraits}: Gemma's scaled embedding, GELU, soft-caps and sliding window;
 * per-layer norms that are weights: q/k norms, Gemma's post-norms on each sub-block's output, BitNet's sub-norms
 * before o and down), the step says so.
 * A call processes a batch of tokens at once, so every weight matrix is read once for all of them: one sequence's
 * prompt as one matrix–matrix product; one token each of several sequences (a decoding step of a server) through
 * the one-token kernel, token after token per unit of weights, so each gets what it would get alone.
 */
public final class LlamaModel {
    /** Multiply-adds below which a thread is not worth waking for attention. */
    private static final long MIN_ATTENTION_WORK = 1 << 15;

    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final WorkerPool pool;
    private final Rope rope;
    private final Rope slidingRope; // RoPE of the sliding-window layers (Gemma 3: base 10000), or the same as rope
    private final Rope longRope;    // LongRoPE's long factors, for sequences longer than the original context, or null
    private final BlockGroups[] groups; // per layer
    private final MatrixGroup classifier;
    private LinearHook hook;

    /** A block's matrices grouped by the input they read: q, k, v; o; gate, up; down. */
    private record BlockGroups(LayerWeights w, MatrixGroup qkv, MatrixGroup o, MatrixGroup gateUp, MatrixGroup down) {
        static BlockGroups of(LayerWeights w) {
            return new BlockGroups(w, new MatrixGroup(w.wq(), w.wk(), w.wv()), new MatrixGroup(w.wo()),
                    new MatrixGroup(w.wGate(), w.wUp()), new MatrixGroup(w.wDown()));
        }
    }

    public LlamaModel(LlamaConfig config, LlamaWeights weights, WorkerPool pool) {
        weights.validate(config);
        this.config = config;
        this.weights = weights;
        this.pool = pool;
        ModelTraits t = config.traits();
        this.rope = rope(config, config.ropeFrequencies());
        this.slidingRope = t.slidingRopeFrequencies() == null ? rope : rope(config, t.slidingRopeFrequencies());
        this.longRope = t.longRopeFrequencies() == null ? null : rope(config, t.longRopeFrequencies());
        this.groups = new BlockGroups[config.nLayers()];
        for (int l = 0; l < groups.length; l++) groups[l] = BlockGroups.of(weights.layers().get(l));
        this.classifier = new MatrixGroup(weights.classifier());
    }

    /** RoPE tables for these frequencies, in the model's convention and magnitude. */
    private static Rope rope(LlamaConfig c, double[] frequencies) {
        return new Rope(c.ropeStyle(), c.headDim(), c.contextLength(), frequencies, c.traits().ropeMagnitude());
    }

    /** Layer l's groups, or new ones when the block runs with substituted weights (calibration). */
    private BlockGroups groups(LayerWeights w, int l) {
        return l >= 0 && l < groups.length && groups[l].w() == w ? groups[l] : BlockGroups.of(w);
    }

    public LlamaConfig config() {
        return config;
    }

    public LlamaWeights weights() {
        return weights;
    }

    public WorkerPool pool() {
        return pool;
    }

    /** Sets (or clears, with null) the observer of linear-layer inputs. */
    public void setLinearHook(LinearHook hook) {
        this.hook = hook;
    }

    /** A state for sequences of up to {@code contextLength} tokens (at most the model's), prefilling in batches. */
    public InferenceState newState(int contextLength, int maxBatch) {
        if (contextLength > config.contextLength()) {
            throw new IllegalArgumentException("context " + contextLength + " exceeds the model's " + config.contextLength());
        }
        return new InferenceState(config, contextLength, Math.min(maxBatch, contextLength));
    }

    /**
     * Runs {@code tokens[offset .. offset+n)} at positions {@code pos .. pos+n)}, extending the state's KV cache.
     * Afterwards {@link InferenceState#logits()} holds one row per token when {@code allLogits}, else one row
     * for the last token.
     */
    public void forward(InferenceState s, int[] tokens, int offset, int n, int pos, boolean allLogits) {
        checkBatch(s, n, pos);
        s.rows.clear();
        for (int t = 0; t < n; t++) s.rows.add(s.cache, tokens[offset + t], pos + t, allLogits || t == n - 1);
        forward(s, s.rows);
    }

    /**
     * Runs the rows of a batch, which may belong to several sequences (their caches), each extending its own cache.
     * Afterwards {@link InferenceState#logits()} holds one row per batch row that asked for logits, in order.
     */
    public void forward(InferenceState s, TokenBatch batch) {
        LlamaConfig c = config;
        int n = batch.size(), dim = c.dim();
        checkRows(s, n);
        for (int t = 0; t < n; t++) {
            int token = batch.token(t);
            if (token < 0 || token >= c.vocabSize()) throw new IllegalArgumentException("token id " + token + " out of range");
            if (batch.cache(t).contextLength > s.contextLength) {
                throw new IllegalArgumentException("a cache of " + batch.cache(t).contextLength + " positions, the state scores " + s.contextLength);
            }
            weights.tokenEmbedding().readRow(token, s.x, t * dim);
        }
        float embeddingScale = c.traits().embeddingScale();
        if (embeddingScale != 1f) for (int i = 0; i < n * dim; i++) s.x[i] *= embeddingScale;

        boolean eachToken = !batch.oneSequence();
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights w = weights.layers().get(l);
            attention(s, w, l, batch, eachToken);
            feedForward(s, w, l, n, eachToken);
        }

        int rows = batch.logitCount();
        if (rows == 0) return;
        for (int j = 0; j < rows; j++) VectorOps.rmsNorm(s.xb, j * dim, s.x, batch.logitRow(j) * dim, weights.finalNorm(), dim, c.normEps());
        linears(s, -1, classifier, s.xb, rows, eachToken, new Linear(LinearKind.CLASSIFIER, s.logits, null));
        float cap = c.traits().finalSoftcap();
        if (cap != 0f) VectorOps.softcap(s.logits, 0, rows * c.vocabSize(), cap);
    }

    /**
     * x += Wo · attention(rope(Wq·n), rope(Wk·n), Wv·n) with n = rmsnorm(x), for the {@code n} tokens in the
     * state's residual stream at positions {@code pos ..}; extends layer {@code l}'s KV cache. Public so that
     * calibration can run one block with substituted weights.
     */
    public void attentionBlock(InferenceState s, LayerWeights w, int l, int n, int pos) {
        checkBatch(s, n, pos);
        s.rows.clear();
        for (int t = 0; t < n; t++) s.rows.add(s.cache, 0, pos + t, false);
        attention(s, w, l, s.rows, false);
    }

    /** The attention sub-block for the rows of a batch; row t attends to its own sequence's cache. */
    private void attention(InferenceState s, LayerWeights w, int l, TokenBatch b, boolean eachToken) {
        LlamaConfig c = config;
        BlockGroups g = groups(w, l);
        int n = b.size();
        rmsNorm(s.xb, s.x, w.attnNorm(), n);
        linears(s, l, g.qkv(), s.xb, n, eachToken, new Linear(LinearKind.Q, s.q, w.qBias()),
                new Linear(LinearKind.K, s.k, w.kBias()), new Linear(LinearKind.V, s.v, w.vBias()));
        if (w.qNorm() != null) { // Qwen3: each head of q and k normalized on its own, before RoPE
            headNorm(s.q, n * c.nHeads(), w.qNorm());
            headNorm(s.k, n * c.nKvHeads(), w.kNorm());
        }
        if (c.ropeInLayer(l)) {
            for (int t = 0; t < n; t++) {
                Rope r = c.traits().slides(l) ? slidingRope : ropeFor(b.cache(t));
                r.applyAt(s.q, t, c.nHeads(), b.position(t));
                r.applyAt(s.k, t, c.nKvHeads(), b.position(t));
            }
        }
        appendToCache(s, l, b);
        causalAttention(s, l, b);
        if (w.attnSubNorm() != null) rmsNorm(s.attOut, s.attOut, w.attnSubNorm(), n, c.qDim()); // BitNet: o reads a normed input
        linears(s, l, g.o(), s.attOut, n, eachToken, new Linear(LinearKind.O, s.xb2, null));
        if (w.postAttnNorm() != null) rmsNorm(s.xb2, s.xb2, w.postAttnNorm(), n); // Gemma: the output normed before it joins x
        VectorOps.add(s.x, 0, s.xb2, 0, n * c.dim());
    }

    /** x += Wdown · (act(Wgate·n) ⊙ Wup·n) with n = rmsnorm(x), for the {@code n} tokens in the residual stream. */
    public void feedForwardBlock(InferenceState s, LayerWeights w, int l, int n) {
        checkRows(s, n);
        feedForward(s, w, l, n, false);
    }

    private void feedForward(InferenceState s, LayerWeights w, int l, int n, boolean eachToken) {
        BlockGroups g = groups(w, l);
        rmsNorm(s.xb, s.x, w.ffnNorm(), n);
        linears(s, l, g.gateUp(), s.xb, n, eachToken, new Linear(LinearKind.GATE, s.hb, null), new Linear(LinearKind.UP, s.hb2, null));
        switch (config.traits().activation()) {
            case SILU -> VectorOps.swiglu(s.hb, s.hb2, n * config.hiddenDim());
            case GELU_TANH -> VectorOps.geglu(s.hb, s.hb2, n * config.hiddenDim());
        }
        if (w.ffnSubNorm() != null) rmsNorm(s.hb, s.hb, w.ffnSubNorm(), n, config.hiddenDim()); // BitNet: so does down
        linears(s, l, g.down(), s.hb, n, eachToken, new Linear(LinearKind.DOWN, s.xb2, null));
        if (w.postFfnNorm() != null) rmsNorm(s.xb2, s.xb2, w.postFfnNorm(), n);
        VectorOps.add(s.x, 0, s.xb2, 0, n * config.dim());
    }

    /** LongRoPE picks its factors by the context a sequence runs with, as llama.cpp does by its context size. */
    private Rope ropeFor(KvCache cache) {
        return longRope != null && cache.contextLength > config.traits().ropeOriginalContext() ? longRope : rope;
    }

    /** For the single-sequence calls: the state has a cache, and n tokens from pos fit the batch and the context. */
    private static void checkBatch(InferenceState s, int n, int pos) {
        if (s.cache == null) throw new IllegalArgumentException("a state for batches of several sequences has no cache of its own");
        checkRows(s, n);
        if (pos < 0 || pos + n > s.contextLength) {
            throw new IllegalArgumentException("positions " + pos + ".." + (pos + n) + " exceed the context of " + s.contextLength);
        }
    }

    /** A call runs at least one row and no more than the state has room for. */
    private static void checkRows(InferenceState s, int n) {
        if (n <= 0 || n > s.maxBatch) throw new IllegalArgumentException("batch of " + n + " tokens, state holds " + s.maxBatch);
    }

    /** RMSNorm of each of {@code heads} consecutive head vectors of x, in place. */
    private void headNorm(float[] x, int heads, float[] weight) {
        int hd = config.headDim();
        for (int h = 0; h < heads; h++) VectorOps.rmsNorm(x, h * hd, x, h * hd, weight, hd, config.normEps());
    }

    private void rmsNorm(float[] out, float[] x, float[] weight, int n) {
        rmsNorm(out, x, weight, n, config.dim());
    }

    /** RMSNorm of each of n rows of {@code width} values. */
    private void rmsNorm(float[] out, float[] x, float[] weight, int n, int width) {
        for (int t = 0; t < n; t++) VectorOps.rmsNorm(out, t * width, x, t * width, weight, width, config.normEps());
    }

    /** One output of a group: out = w · in (+ bias). */
    private record Linear(LinearKind kind, float[] out, float[] bias) {}

    /**
     * The matrices of a group, which read the same input: out_i = w_i · in (+ bias_i) for n tokens, as one batched
     * product or, {@code eachToken}, each token through the one-token kernel.
     */
    private void linears(InferenceState s, int layer, MatrixGroup group, float[] in, int n, boolean eachToken, Linear... ls) {
        LinearHook h = hook;
        float[][] outs = new float[ls.length][];
        for (int i = 0; i < ls.length; i++) {
            if (h != null) h.observe(layer, ls[i].kind(), in, n, group.cols());
            outs[i] = ls[i].out();
        }
        if (eachToken) group.multiplyEach(s.preparedRows, in, outs, n, pool);
        else group.multiply(s.prepared, in, outs, n, pool);
        for (Linear l : ls) {
            if (l.bias() == null) continue;
            int rows = l.bias().length;
            for (int t = 0; t < n; t++) VectorOps.add(l.out(), t * rows, l.bias(), 0, rows);
        }
    }

    /** Copies each row's key and value into layer l's cache of its sequence, at its position. */
    private void appendToCache(InferenceState s, int l, TokenBatch b) {
        int headDim = config.headDim(), kvDim = config.kvDim();
        for (int t = 0; t < b.size(); t++) {
            KvCache cache = b.cache(t);
            for (int g = 0; g < config.nKvHeads(); g++) {
                int at = cache.row(g, b.position(t), headDim);
                System.arraycopy(s.k, t * kvDim + g * headDim, cache.keys[l], at, headDim);
                System.arraycopy(s.v, t * kvDim + g * headDim, cache.values[l], at, headDim);
            }
        }
    }

    /**
     * Causal multi-head attention with grouped KV heads; heads run in parallel, rows in order within one. A row at
     * position p sees its own sequence's positions 0..p, or in a sliding-window layer the last {@code window} of
     * them. (Rows of one sequence are appended to its cache before any attends, so a prompt's rows see each other.)
     */
    private void causalAttention(InferenceState s, int layer, TokenBatch b) {
        LlamaConfig c = config;
        int n = b.size(), headDim = c.headDim(), qDim = c.qDim(), group = c.groupSize();
        float scale = c.attentionScale(), softcap = c.traits().attentionSoftcap();
        int window = c.traits().slides(layer) ? c.traits().slidingWindow() : Integer.MAX_VALUE;
        // Work per head ~ rows × positions × headDim; small attention runs on the caller alone.
        long positions = 0;
        for (int t = 0; t < n; t++) positions += b.position(t) + 1;
        long perHead = positions * headDim;
        int minHeads = (int) Math.min(c.nHeads(), MIN_ATTENTION_WORK / perHead + 1);
        pool.parallelFor(c.nHeads(), minHeads, (h0, h1) -> {
            for (int h = h0; h < h1; h++) {
                int sOff = h * s.contextLength;
                for (int t = 0; t < n; t++) {
                    KvCache cache = b.cache(t);
                    float[] keys = cache.keys[layer], values = cache.values[layer];
                    int last = b.position(t), first = Math.max(0, last - window + 1), count = last - first + 1;
                    int qOff = t * qDim + h * headDim, kvFirst = cache.row(h / group, first, headDim);
                    VectorOps.scaledRowDots(s.scores, sOff, s.q, qOff, keys, kvFirst, count, headDim, scale);
                    if (softcap != 0f) VectorOps.softcap(s.scores, sOff, count, softcap);
                    VectorOps.softmax(s.scores, sOff, count);
                    VectorOps.weightedRowSum(s.attOut, qOff, s.scores, sOff, values, kvFirst, count, headDim);
                }
            }
        });
    }
}
