package dev.lowbit.engine.sampling;

/**
 * How the next token is drawn. Temperature 0 is greedy (argmax); otherwise the filters apply in the order
 * top-k, top-p (nucleus), min-p, and a token is drawn from what remains with a seeded generator.
 *
 * @param topK 0 disables
 * @param topP 1 disables
 * @param minP 0 disables: drop tokens less likely than minP × the most likely one
 */
public record SamplerSettings(float temperature, int topK, float topP, float minP, long seed) {
    public SamplerSettings {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) throw new IllegalArgumentException("temperature must be >= 0, got " + temperature);
        if (topK < 0) throw new IllegalArgumentException("top-k must be >= 0, got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new IllegalArgumentException("top-p must be in (0, 1], got " + topP);
        if (!(minP >= 0 && minP < 1)) throw new IllegalArgumentException("min-p must be in [0, 1), got " + minP);
    }

    public static SamplerSettings greedy() {
        return new SamplerSettings(0, 0, 1, 0, 0);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }
}
