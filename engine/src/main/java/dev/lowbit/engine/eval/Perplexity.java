package dev.lowbit.engine.eval;

import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LlamaModel;

/**
 * Perplexity over a token stream in non-overlapping windows. Each window is BOS followed by the next
 * {@code ctx − 1} text tokens; every token of the window after BOS is predicted from all tokens before it.
 */
public final class Perplexity {
    private Perplexity() {}

    /**
     * @param text tokens of the text, without BOS
     * @param bos  the BOS id put at the start of every window, or -1 to use none (then the first text token
     *             of each window is context only)
     */
    public static PerplexityResult evaluate(LlamaModel model, int[] text, int ctx, int bos, int batchSize, Progress progress) {
        EvalWindows windows = new EvalWindows(text, ctx, bos);
        InferenceState state = model.newState(ctx, batchSize);
        int vocab = model.config().vocabSize();
        int[] window = new int[ctx];
        double nllSum = 0;
        long predictions = 0;
        for (int w = 0; w < windows.count(); w++) {
            int len = windows.fill(w, window);
            // Logits of position i predict window[i + 1].
            for (int done = 0; done < len - 1; ) {
                int n = Math.min(state.maxBatch(), len - 1 - done);
                model.forward(state, window, done, n, done, true);
                float[] logits = state.logits();
                for (int t = 0; t < n; t++) {
                    nllSum += negativeLogLikelihood(logits, t * vocab, vocab, window[done + t + 1]);
                }
                predictions += n;
                done += n;
            }
            progress.update(w + 1, windows.count(), String.format("ppl %.4f", Math.exp(nllSum / Math.max(1, predictions))));
        }
        return new PerplexityResult(windows.count(), predictions, nllSum / predictions);
    }

    /** −log softmax(logits)[target], computed stably in double. */
    public static double negativeLogLikelihood(float[] logits, int offset, int n, int target) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < n; i++) max = Math.max(max, logits[offset + i]);
        double sum = 0;
        for (int i = 0; i < n; i++) sum += Math.exp(logits[offset + i] - max);
        return Math.log(sum) + max - logits[offset + target];
    }
}
