package dev.lowbit.quant.grid;

import dev.lowbit.kernels.ScaleFormat;
import java.util.Arrays;

/**
 * A set of representable values ("levels", in grid units), each with a code, plus the rule that fits a
 * group's scale to its weights. Subclasses: {@link IntegerGrid}, {@link MinifloatGrid}, {@link MxGrid},
 * {@link CodebookGrid}.
 *
 * <p>Rounding is to the nearest level; a value exactly halfway between two levels goes to the one with the
 * even code. For integers that is {@code Math.rint}; for sign–magnitude minifloats it is IEEE
 * ties-to-even-mantissa; for a plain codebook it is the even index.
 */
public abstract class Grid {
    private final String name;
    private final int bits;
    private final float[] levels;       // value of each code; reserved codes repeat a valid value
    private final float[] sortedValues;  // distinct valid values, ascending
    private final int[] sortedCodes;     // the code of each sorted value

    protected Grid(String name, int bits, float[] levels, boolean[] valid) {
        if (levels.length != 1 << bits) throw new IllegalArgumentException(name + ": " + levels.length + " levels for " + bits + " bits");
        this.name = name;
        this.bits = bits;
        this.levels = levels.clone();
        // Distinct valid values; of two codes with the same value (+0 and −0) the smaller code wins.
        Integer[] order = new Integer[levels.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> levels[a] != levels[b] ? Float.compare(levels[a], levels[b]) : Integer.compare(a, b));
        float[] values = new float[levels.length];
        int[] codes = new int[levels.length];
        int n = 0;
        for (int code : order) {
            if (!valid[code]) continue;
            float v = levels[code] == 0 ? 0f : levels[code];
            if (n > 0 && values[n - 1] == v) continue;
            values[n] = v;
            codes[n++] = code;
        }
        this.sortedValues = Arrays.copyOf(values, n);
        this.sortedCodes = Arrays.copyOf(codes, n);
    }

    public String name() {
        return name;
    }

    public int bits() {
        return bits;
    }

    /** Value of each code (2^bits entries), as stored in a {@code .lowbit} codebook. */
    public float[] levels() {
        return levels.clone();
    }

    public float level(int code) {
        return levels[code];
    }

    /** The distinct representable values, ascending. */
    public float[] values() {
        return sortedValues.clone();
    }

    /** How scales are stored (F16 unless the format prescribes another). */
    public ScaleFormat scaleFormat() {
        return ScaleFormat.F16;
    }

    /** True when each group also stores an offset (asymmetric integers). */
    public boolean hasOffset() {
        return false;
    }

    /**
     * Scale (and offset) for {@code w[off .. off+n)}, with the group's range clipped to {@code shrink} of its
     * full extent (1 = no clipping); returned as the stored (rounded) values.
     */
    public abstract GroupScale fit(float[] w, int off, int n, float shrink);

    /** Storage cost per weight, including the group's scale and offset. */
    public double bitsPerWeight(int groupSize) {
        return bits + (scaleFormat().bytes() * 8.0 + (hasOffset() ? 16 : 0)) / groupSize;
    }

    /** The code of the level nearest to {@code x} (grid units); ties to the even code; saturates at the ends. */
    public int nearest(float x) {
        float[] v = sortedValues;
        if (!(x > v[0])) return sortedCodes[0]; // also NaN
        if (x >= v[v.length - 1]) return sortedCodes[v.length - 1];
        int hi = upperIndex(x);
        int lo = hi - 1;
        float dLo = x - v[lo], dHi = v[hi] - x;
        if (dLo < dHi) return sortedCodes[lo];
        if (dHi < dLo) return sortedCodes[hi];
        return (sortedCodes[lo] & 1) == 0 ? sortedCodes[lo] : sortedCodes[hi];
    }

    /** The largest representable value ≤ x (the smallest value when x is below them all). */
    public float below(float x) {
        float[] v = sortedValues;
        if (x >= v[v.length - 1]) return v[v.length - 1];
        return v[Math.max(0, upperIndex(x) - 1)];
    }

    /** The smallest representable value ≥ x (the largest value when x is above them all). */
    public float above(float x) {
        float[] v = sortedValues;
        if (x <= v[0]) return v[0];
        if (x >= v[v.length - 1]) return v[v.length - 1];
        int i = upperIndex(x);
        return v[i - 1] == x ? x : v[i];
    }

    /** Index of the first sorted value > x, for v[0] ≤ x < v[last]. */
    private int upperIndex(float x) {
        int lo = 0, hi = sortedValues.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sortedValues[mid] > x) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    /** Largest |value|, the extent symmetric grids map a group's absmax onto. */
    protected float maxMagnitude() {
        return Math.max(Math.abs(sortedValues[0]), Math.abs(sortedValues[sortedValues.length - 1]));
    }

    /** max |w| over the group. */
    protected static float absMax(float[] w, int off, int n) {
        float m = 0;
        for (int i = off; i < off + n; i++) m = Math.max(m, Math.abs(w[i]));
        return m;
    }

    @Override
    public String toString() {
        return name;
    }
}
