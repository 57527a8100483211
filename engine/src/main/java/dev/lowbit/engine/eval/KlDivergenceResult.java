package dev.lowbit.engine.eval;

/**
 * A quantized model against its base over the same tokens: both perplexities, KL(base ‖ quantized) of the
 * next-token distributions (mean and 99th percentile, nats), and how often both agree on the most likely token.
 */
public record KlDivergenceResult(long positions, double baseMeanNll, double modelMeanNll, double meanKld,
                                 double p99Kld, double maxKld, double top1Agreement) {
    public double basePerplexity() {
        return Math.exp(baseMeanNll);
    }

    public double modelPerplexity() {
        return Math.exp(modelMeanNll);
    }
}
