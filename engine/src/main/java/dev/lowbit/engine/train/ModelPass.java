package dev.lowbit.engine.train;

import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.kernels.WorkerPool;
import java.util.List;

/**
 * The whole model over one window, forward and in reverse mode, with memory bounded by recomputation: the
 * forward pass keeps only each block's input (the residual stream, layers × tokens × dim), and the backward pass
 * runs each block forward again, from that input, right before sending the gradient through it.
 */
public final class ModelPass {
    private final LlamaConfig c;
    private final int maxTokens;
    private final WorkerPool pool;
    private final BlockPass block;
    private final float[][] inputs; // per block: its input residual stream
    private final float[] out, normed, invNorm, dx, dOut, logits;

    public ModelPass(LlamaConfig c, int maxTokens, WorkerPool pool) {
        this.c = c;
        this.maxTokens = maxTokens;
        this.pool = pool;
        this.block = new BlockPass(c, maxTokens, pool);
        this.inputs = new float[c.nLayers()][maxTokens * c.dim()];
        this.out = new float[maxTokens * c.dim()];
        this.normed = new float[maxTokens * c.dim()];
        this.invNorm = new float[maxTokens];
        this.dx = new float[maxTokens * c.dim()];
        this.dOut = new float[maxTokens * c.dim()];
        this.logits = new float[Math.multiplyExact(maxTokens, c.vocabSize())];
    }

    /** Bytes this pass holds: block inputs, logits, one block's tape. */
    public long bytes() {
        return 4L * ((long) inputs.length * inputs[0].length + 4L * out.length + invNorm.length + logits.length) + block.bytes();
    }

    /** The logits of every position of {@code window} (tokens × vocab), written into {@code result}. */
    public void logits(DenseModel m, int[] window, float[] result) {
        forward(m, window);
        System.arraycopy(logits, 0, result, 0, window.length * c.vocabSize());
    }

    /**
     * Σ over the window's positions of KL(teacher ‖ student), where {@code teacherLogits} are the teacher's logits
     * of this window; adds {@code weight} times the gradient of that sum into {@code grads} (one per block).
     */
    public double klBackward(DenseModel student, int[] window, float[] teacherLogits, float weight, List<BlockGradients> grads) {
        int n = window.length, dim = c.dim();
        forward(student, window);
        double kl = KlLoss.lossAndGradient(teacherLogits, logits, n, c.vocabSize(), weight); // logits now hold dL/dlogits
        java.util.Arrays.fill(normed, 0, n * dim, 0f);
        student.classifier().backwardInput(logits, normed, n, pool);
        java.util.Arrays.fill(dOut, 0, n * dim, 0f);
        RmsNormGrad.backward(normed, out, student.finalNorm(), invNorm, dOut, null, n, dim);
        for (int l = c.nLayers() - 1; l >= 0; l--) {
            DenseBlock b = student.blocks().get(l);
            block.forward(b, l, inputs[l], out, n); // recomputation: the tape of this block only
            block.backward(b, inputs[l], dOut, dx, grads.get(l));
            System.arraycopy(dx, 0, dOut, 0, n * dim);
        }
        return kl;
    }

    /** Runs the window, keeping each block's input; leaves the last residual stream in out and the logits in logits. */
    private void forward(DenseModel m, int[] window) {
        int n = window.length, dim = c.dim();
        if (n < 1 || n > maxTokens) throw new IllegalArgumentException("window of " + n + " tokens, pass holds " + maxTokens);
        for (int t = 0; t < n; t++) {
            if (window[t] < 0 || window[t] >= c.vocabSize()) throw new IllegalArgumentException("token id " + window[t] + " out of range");
            m.embedding().readRow(window[t], inputs[0], t * dim);
        }
        for (int l = 0; l < c.nLayers(); l++) {
            float[] next = l + 1 < c.nLayers() ? inputs[l + 1] : out;
            block.forward(m.blocks().get(l), l, inputs[l], next, n);
        }
        RmsNormGrad.forward(out, m.finalNorm(), normed, invNorm, n, dim, c.normEps());
        m.classifier().forward(normed, null, logits, n, pool);
    }
}
