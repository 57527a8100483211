package dev.lowbit.engine.eval;

/** Mean negative log-likelihood (nats per predicted token) over {@code predictions} predictions. */
public record PerplexityResult(int windows, long predictions, double meanNll) {
    public double perplexity() {
        return Math.exp(meanNll);
    }
}
