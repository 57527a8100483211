package dev.lowbit.quant.grid;

import dev.lowbit.kernels.ScaleFormat;

/**
 * OCP Microscaling (MX v1.0) block format: minifloat elements sharing one power-of-two scale, stored as
 * E8M0. The shared exponent is floor(log2(absmax)) − emax(element), so the largest element may exceed the
 * element range and saturates (MXFP4: E2M1 elements, blocks of 32).
 */
public final class MxGrid extends Grid {
    public static final int BLOCK = 32;
    private final MinifloatGrid element;
    private final int elementMaxExponent;

    public MxGrid(String name, MinifloatGrid element) {
        super(name, element.bits(), element.levels(), validOf(element));
        this.element = element;
        this.elementMaxExponent = Math.getExponent(element.maxValue());
    }

    private static boolean[] validOf(Grid g) {
        boolean[] v = new boolean[1 << g.bits()];
        for (float value : g.values()) v[g.nearest(value)] = true;
        return v;
    }

    public static MxGrid mxfp4() {
        return new MxGrid("mxfp4", new MinifloatGrid(2, 1, MinifloatGrid.Reserved.NONE));
    }

    @Override
    public ScaleFormat scaleFormat() {
        return ScaleFormat.E8M0;
    }

    @Override
    public GroupScale fit(float[] w, int off, int n, float shrink) {
        float amax = absMax(w, off, n) * shrink;
        if (amax == 0) return new GroupScale(Math.scalb(1f, -127), 0f);
        int shared = Math.max(-127, Math.min(127, Math.getExponent(amax) - elementMaxExponent));
        return new GroupScale(Math.scalb(1f, shared), 0f);
    }

    @Override
    public int nearest(float x) {
        return element.nearest(x);
    }
}
