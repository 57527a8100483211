package dev.lowbit.engine.format;

import dev.lowbit.engine.model.LayerWeights;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.RopeStyle;
import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.WeightMatrix;
import java.util.ArrayList;
import java.util.List;

/**
 * The legacy llama2.c checkpoint (version 0): a header of 7 little-endian int32
 * {@code dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len} followed by float32 tensors in
 * a fixed order. A negative vocab_size means the file carries a separate classifier after the RoPE tables.
 * RoPE rotates adjacent pairs, theta 10000, RMSNorm eps 1e-5 (as in run.c).
 */
public final class Llama2cCheckpoint {
    static final int HEADER_BYTES = 7 * 4;
    // Generous sanity limits: they only exist so that a forged header cannot make us compute absurd sizes.
    private static final int MAX_DIM = 1 << 16, MAX_HIDDEN = 1 << 18, MAX_LAYERS = 1 << 10, MAX_VOCAB = 1 << 22, MAX_SEQ = 1 << 22;

    private Llama2cCheckpoint() {}

    /** The parsed header, with whether the classifier is tied to the embedding. */
    public record Header(LlamaConfig config, boolean sharedClassifier) {}

    public static Header readHeader(MappedFile file) {
        if (file.size() < HEADER_BYTES) {
            throw file.error("not a llama2.c checkpoint: " + file.size() + " bytes, shorter than the 28-byte header");
        }
        int dim = file.readInt(0, "header");
        int hidden = file.readInt(4, "header");
        int layers = file.readInt(8, "header");
        int heads = file.readInt(12, "header");
        int kvHeads = file.readInt(16, "header");
        int vocab = file.readInt(20, "header");
        int seqLen = file.readInt(24, "header");
        boolean shared = vocab > 0;
        vocab = Math.abs(vocab);
        check(file, dim, 1, MAX_DIM, "dim");
        check(file, hidden, 1, MAX_HIDDEN, "hidden_dim");
        check(file, layers, 1, MAX_LAYERS, "n_layers");
        check(file, heads, 1, dim, "n_heads");
        check(file, kvHeads, 1, heads, "n_kv_heads");
        check(file, vocab, 1, MAX_VOCAB, "vocab_size");
        check(file, seqLen, 1, MAX_SEQ, "seq_len");
        if (dim % heads != 0) throw file.error("not a valid llama2.c header: dim " + dim + " is not a multiple of n_heads " + heads);
        if (heads % kvHeads != 0) throw file.error("not a valid llama2.c header: n_heads " + heads + " is not a multiple of n_kv_heads " + kvHeads);
        int headDim = dim / heads;
        if (headDim % 2 != 0) throw file.error("not a valid llama2.c header: head size " + headDim + " is odd");
        LlamaConfig config = new LlamaConfig(dim, hidden, layers, heads, kvHeads, headDim, vocab, seqLen,
                1e-5f, 10000f, RopeStyle.ADJACENT_PAIRS);
        long expected = expectedSize(config, shared);
        if (file.size() != expected) {
            throw file.error((file.size() < expected ? "truncated" : "unexpected trailing data")
                    + ": the header (dim " + dim + ", " + layers + " layers, vocab " + vocab + ") implies "
                    + expected + " bytes, the file has " + file.size());
        }
        return new Header(config, shared);
    }

    private static void check(MappedFile file, int value, int min, int max, String name) {
        if (value < min || value > max) {
            throw file.error("not a valid llama2.c checkpoint: " + name + " = " + value + " (expected " + min + ".." + max + ")");
        }
    }

    /** File size implied by the header; all arithmetic in long, so a forged header cannot overflow it. */
    static long expectedSize(LlamaConfig c, boolean shared) {
        long dim = c.dim(), hidden = c.hiddenDim(), layers = c.nLayers(), kv = c.kvDim(), vocab = c.vocabSize();
        long floats = vocab * dim                       // token embedding
                + layers * dim                          // attention norms
                + layers * dim * (dim + 2 * kv + dim)   // wq, wk, wv, wo
                + layers * dim                          // MLP norms
                + layers * 3 * hidden * dim             // w1, w2, w3
                + dim                                   // final norm
                + (long) c.contextLength() * c.headDim() // freq_cis real + imag (seq_len × head/2 each), unused
                + (shared ? 0 : vocab * dim);           // separate classifier
        return HEADER_BYTES + 4 * floats;
    }

    /** Maps the whole file's tensors (no copies except the small norm vectors). */
    public static LlamaWeights readWeights(MappedFile file, Header header) {
        LlamaConfig c = header.config();
        Cursor at = new Cursor(file, HEADER_BYTES);
        int dim = c.dim(), hidden = c.hiddenDim(), kv = c.kvDim(), n = c.nLayers();
        WeightMatrix embedding = at.matrix(c.vocabSize(), dim, "token_embedding");
        float[][] attnNorm = at.vectors(n, dim, "rms_att_weight");
        WeightMatrix[] wq = at.matrices(n, dim, dim, "wq");
        WeightMatrix[] wk = at.matrices(n, kv, dim, "wk");
        WeightMatrix[] wv = at.matrices(n, kv, dim, "wv");
        WeightMatrix[] wo = at.matrices(n, dim, dim, "wo");
        float[][] ffnNorm = at.vectors(n, dim, "rms_ffn_weight");
        WeightMatrix[] w1 = at.matrices(n, hidden, dim, "w1");
        WeightMatrix[] w2 = at.matrices(n, dim, hidden, "w2");
        WeightMatrix[] w3 = at.matrices(n, hidden, dim, "w3");
        float[] finalNorm = at.vectors(1, dim, "rms_final_weight")[0];
        at.skip((long) c.contextLength() * c.headDim() * 4, "freq_cis");
        WeightMatrix classifier = header.sharedClassifier() ? embedding : at.matrix(c.vocabSize(), dim, "wcls");
        List<LayerWeights> layers = new ArrayList<>(n);
        for (int l = 0; l < n; l++) {
            // llama2.c names: w1 = gate, w3 = up, w2 = down.
            layers.add(new LayerWeights(attnNorm[l], wq[l], wk[l], wv[l], wo[l], null, null, null, null, null,
                    ffnNorm[l], w1[l], w3[l], w2[l]));
        }
        return new LlamaWeights(embedding, layers, finalNorm, classifier);
    }

    /** Walks the tensors in file order. */
    private static final class Cursor {
        private final MappedFile file;
        private long offset;

        Cursor(MappedFile file, long offset) {
            this.file = file;
            this.offset = offset;
        }

        WeightMatrix matrix(int rows, int cols, String name) {
            long bytes = 4L * rows * cols;
            WeightMatrix m = new F32Matrix(file.slice(offset, bytes, name), rows, cols);
            offset += bytes;
            return m;
        }

        WeightMatrix[] matrices(int count, int rows, int cols, String name) {
            WeightMatrix[] out = new WeightMatrix[count];
            for (int i = 0; i < count; i++) out[i] = matrix(rows, cols, name + "[" + i + "]");
            return out;
        }

        float[][] vectors(int count, int n, String name) {
            float[][] out = new float[count][];
            for (int i = 0; i < count; i++) {
                out[i] = file.readFloats(offset, n, name);
                offset += 4L * n;
            }
            return out;
        }

        void skip(long bytes, String name) {
            file.checkRange(offset, bytes, name);
            offset += bytes;
        }
    }
}
