package dev.lowbit.quant.discquant;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * DiscQuant's settings (docs/DISCQUANT.md).
 *
 * @param scope          the whole model against the teacher's output distribution, or block by block
 * @param steps          optimiser steps (per block, for the block scope)
 * @param windowsPerStep calibration windows per step (the batch)
 * @param lr             AdamW's peak learning rate
 * @param rho            ρ, the weight of the loss gradient against the pull toward RTN's choice
 * @param clamp          κ, the bound on ρ·∂L/∂x
 * @param weightDecay    AdamW's decoupled weight decay
 * @param warmup         steps of linear warm-up before the cosine decay
 * @param seed           the seed of the variables' uniform initialisation and of the window order
 */
public record DiscQuantSettings(Scope scope, int steps, int windowsPerStep, float lr, float rho, float clamp, float weightDecay, int warmup,
                                long seed) {
    public enum Scope { MODEL, BLOCK }

    public static final float BETA1 = 0.9f, BETA2 = 0.999f, ADAM_EPS = 1e-8f;

    /** Defaults for a CPU, from the tuning table in docs/DISCQUANT.md. */
    public static final int DEFAULT_STEPS = 200, DEFAULT_WINDOWS_PER_STEP = 4, DEFAULT_WINDOWS = 128, DEFAULT_WINDOW_TOKENS = 128;
    public static final float DEFAULT_LR = 0.1f, DEFAULT_RHO = 200f, DEFAULT_CLAMP = 1f, DEFAULT_WEIGHT_DECAY = 0.01f;

    /** The reference's 128 warm-up steps, or a quarter of a shorter run. */
    public static int warmupFor(int steps) {
        return Math.min(128, steps / 4);
    }

    public DiscQuantSettings {
        if (scope == null) throw new IllegalArgumentException("DiscQuant scope missing");
        if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        if (windowsPerStep < 1) throw new IllegalArgumentException("--batch must be at least 1, got " + windowsPerStep);
        if (!(lr > 0) || !Float.isFinite(lr)) throw new IllegalArgumentException("--lr must be positive, got " + lr);
        if (!(rho >= 0) || !Float.isFinite(rho)) throw new IllegalArgumentException("--rho must be zero or positive, got " + rho);
        if (!(clamp >= 0) || !Float.isFinite(clamp)) throw new IllegalArgumentException("--clamp must be zero or positive, got " + clamp);
        if (!(weightDecay >= 0) || !Float.isFinite(weightDecay)) throw new IllegalArgumentException("weight decay must be zero or positive");
        if (warmup < 0) throw new IllegalArgumentException("warm-up steps must be zero or positive");
    }

    /** The learning rate of step s (0-based): linear warm-up to lr, then a cosine decay to zero at the last step. */
    public float learningRate(int s) {
        int w = Math.min(warmup, steps - 1);
        if (s < w) return lr * (s + 1) / (w + 1);
        double progress = steps - w <= 1 ? 0 : (double) (s - w) / (steps - w - 1);
        return (float) (lr * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))));
    }

    /** As recorded in the {@code .lowbit} header. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scope", scope.name().toLowerCase());
        m.put("steps", steps);
        m.put("windows_per_step", windowsPerStep);
        m.put("lr", lr);
        m.put("rho", rho);
        m.put("clamp", clamp);
        m.put("weight_decay", weightDecay);
        m.put("warmup", warmup);
        m.put("betas", java.util.List.of(BETA1, BETA2));
        m.put("seed", seed);
        return m;
    }
}
