package dev.lowbit.quant.grid;

import dev.lowbit.kernels.ScaleFormat;
import java.util.Arrays;

/**
 * An explicit list of levels (NF4, or any user codebook); codes are indices into the ascending list. A list
 * whose length is not a power of two is padded with copies of its largest level, which are never written.
 * Scale per group = absmax over the largest |level|.
 */
public final class CodebookGrid extends Grid {

    /** NF4 (QLoRA, Dettmers et al. 2023): quantiles of N(0, 1) normalised to [−1, 1], with an exact zero. */
    public static final float[] NF4_LEVELS = {
        -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f, -0.28444138169288635f,
        -0.18477343022823334f, -0.09105003625154495f, 0.0f, 0.07958029955625534f, 0.16093020141124725f,
        0.24611230194568634f, 0.33791524171829224f, 0.44070982933044434f, 0.5626170039176941f,
        0.7229568362236023f, 1.0f};

    public CodebookGrid(String name, float[] levels) {
        super(name, bitsFor(levels.length), padded(levels), validMask(levels.length));
    }

    public static CodebookGrid nf4() {
        return new CodebookGrid("nf4", NF4_LEVELS);
    }

    private static int bitsFor(int n) {
        if (n < 2 || n > 256) throw new IllegalArgumentException("a codebook needs 2 to 256 levels, got " + n);
        return 32 - Integer.numberOfLeadingZeros(n - 1);
    }

    private static float[] padded(float[] levels) {
        float[] sorted = levels.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (!Float.isFinite(sorted[i])) throw new IllegalArgumentException("codebook level " + sorted[i] + " is not finite");
            if (i > 0 && sorted[i] == sorted[i - 1]) throw new IllegalArgumentException("codebook level " + sorted[i] + " appears twice");
        }
        float[] out = Arrays.copyOf(sorted, 1 << bitsFor(levels.length));
        Arrays.fill(out, sorted.length, out.length, sorted[sorted.length - 1]);
        return out;
    }

    private static boolean[] validMask(int n) {
        boolean[] v = new boolean[1 << bitsFor(n)];
        Arrays.fill(v, 0, n, true);
        return v;
    }

    @Override
    public GroupScale fit(float[] w, int off, int n, float shrink) {
        return new GroupScale(ScaleFormat.F16.round(absMax(w, off, n) * shrink / maxMagnitude()), 0f);
    }
}
