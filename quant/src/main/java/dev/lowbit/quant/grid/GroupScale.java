package dev.lowbit.quant.grid;

/** One group's mapping from grid units to weights: w ≈ scale · level + offset (both as stored). */
public record GroupScale(float scale, float offset) {
    /** The grid-unit value of weight {@code w} (0 for an all-equal group, whose scale is 0). */
    public float toGrid(float w) {
        return scale == 0 ? 0 : (w - offset) / scale;
    }
}
