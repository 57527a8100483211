package dev.lowbit.quant.awq;

/**
 * Search settings. {@code alphaSteps} exponents α = 0, 1/steps, … (the reference code: 20, so 0 … 0.95);
 * {@code clipSteps} clipping ratios 1 − i/20 for i &lt; clipSteps (the reference: 10, so 1 … 0.55), 0 to skip
 * clipping; {@code lossTokens} how many calibration tokens (whole windows, at least one) score the candidates.
 * {@link #DEFAULT}: the reference grids, scored on 4096 tokens.
 */
public record AwqSettings(int alphaSteps, int clipSteps, int lossTokens) {
    public static final AwqSettings DEFAULT = new AwqSettings(20, 10, 4096);

    public AwqSettings {
        if (alphaSteps < 1) throw new IllegalArgumentException("at least one α (α = 0) must be tried");
        if (clipSteps < 0 || clipSteps > 20) throw new IllegalArgumentException("clip steps must be 0..20");
        if (lossTokens < 1) throw new IllegalArgumentException("scoring tokens (--calib-score-tokens) must be positive");
    }

    float alpha(int i) {
        return (float) i / alphaSteps;
    }

    float clipRatio(int i) {
        return 1f - i / 20f;
    }
}
