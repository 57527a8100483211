package dev.lowbit.engine.eval;

import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.sampling.Sampler;
import java.util.Arrays;

/** Compares two models position by position over the windows {@link Perplexity} uses. */
public final class KlDivergence {
    private KlDivergence() {}

    public static KlDivergenceResult evaluate(LlamaModel base, LlamaModel model, int[] text, int ctx, int bos, int batchSize,
                                              Progress progress) {
        int vocab = base.config().vocabSize();
        if (model.config().vocabSize() != vocab) {
            throw new IllegalArgumentException("the models have different vocabularies (" + vocab + " and " + model.config().vocabSize() + ")");
        }
        EvalWindows windows = new EvalWindows(text, ctx, bos);
        InferenceState sb = base.newState(ctx, batchSize), sm = model.newState(ctx, batchSize);
        int[] window = new int[ctx];
        float[] kld = new float[text.length];
        int count = 0, agree = 0;
        double nllBase = 0, nllModel = 0;
        double[] logP = new double[vocab], logQ = new double[vocab];
        for (int w = 0; w < windows.count(); w++) {
            int len = windows.fill(w, window);
            for (int done = 0; done < len - 1; ) {
                int n = Math.min(sb.maxBatch(), len - 1 - done);
                base.forward(sb, window, done, n, done, true);
                model.forward(sm, window, done, n, done, true);
                for (int t = 0; t < n; t++) {
                    int off = t * vocab, target = window[done + t + 1];
                    logSoftmax(sb.logits(), off, logP);
                    logSoftmax(sm.logits(), off, logQ);
                    double kl = 0;
                    for (int i = 0; i < vocab; i++) kl += Math.exp(logP[i]) * (logP[i] - logQ[i]);
                    if (count == kld.length) kld = Arrays.copyOf(kld, kld.length * 2);
                    kld[count++] = (float) Math.max(0, kl);
                    nllBase -= logP[target];
                    nllModel -= logQ[target];
                    if (Sampler.argmax(sb.logits(), off, vocab) == Sampler.argmax(sm.logits(), off, vocab)) agree++;
                }
                done += n;
            }
            progress.update(w + 1, windows.count(), String.format("KLD %.5f", mean(kld, count)));
        }
        float[] sorted = Arrays.copyOf(kld, count);
        Arrays.sort(sorted);
        double p99 = sorted[Math.min(count - 1, (int) Math.ceil(0.99 * count) - 1)];
        return new KlDivergenceResult(count, nllBase / count, nllModel / count, mean(kld, count), p99, sorted[count - 1],
                (double) agree / count);
    }

    private static double mean(float[] v, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) s += v[i];
        return n == 0 ? 0 : s / n;
    }

    /** out = log softmax(logits[off .. off+out.length)), in double. */
    static void logSoftmax(float[] logits, int off, double[] out) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < out.length; i++) max = Math.max(max, logits[off + i]);
        double sum = 0;
        for (int i = 0; i < out.length; i++) sum += Math.exp(logits[off + i] - max);
        double logZ = max + Math.log(sum);
        for (int i = 0; i < out.length; i++) out[i] = logits[off + i] - logZ;
    }
}
