package dev.lowbit.quant.grid;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class GridTest {
    static float[] sortedSet(double... v) {
        TreeSet<Float> set = new TreeSet<>();
        for (double d : v) {
            set.add((float) d);
            set.add((float) -d);
        }
        set.remove(-0f);
        float[] out = new float[set.size()];
        int i = 0;
        for (float f : set) out[i++] = f == 0 ? 0f : f;
        return out;
    }

    @Test
    void e2m1IsTheOcpFp4ValueSet() {
        assertArrayEquals(sortedSet(0, 0.5, 1, 1.5, 2, 3, 4, 6), Grids.of("e2m1", 0, false).values());
    }

    @Test
    void smallMinifloatValueSets() {
        assertArrayEquals(sortedSet(0, 0.25, 0.5, 1, 2, 4, 8, 16), Grids.of("e3m0", 0, false).values());
        // E2M2: bias 1; subnormals 0.25, 0.5, 0.75; normals (1 + m/4)·2^(e−1).
        assertArrayEquals(sortedSet(0, 0.25, 0.5, 0.75, 1, 1.25, 1.5, 1.75, 2, 2.5, 3, 3.5, 4, 5, 6, 7),
                Grids.of("e2m2", 0, false).values());
        MinifloatGrid e3m2 = (MinifloatGrid) Grids.of("e3m2", 0, false);
        assertEquals(28f, e3m2.maxValue());            // OCP FP6 E3M2 max normal
        assertEquals(0.0625f, e3m2.values()[32]);       // smallest subnormal 2^-2 · 1/4 (index 31 is zero)
        assertEquals(63, e3m2.values().length);         // 31 magnitudes per sign + zero
    }

    @Test
    void e5m2IsTheTopByteOfIeeeHalfPrecision() {
        // E5M2 is fp16 with its 8 low mantissa bits dropped: the JDK's own fp16 decoder is an independent reference.
        List<Float> expected = new ArrayList<>();
        for (int code = 0; code < 256; code++) {
            float v = Float.float16ToFloat((short) (code << 8));
            if (Float.isFinite(v) && !(v == 0 && code != 0)) expected.add(v);
        }
        expected.sort(Float::compare);
        float[] e = new float[expected.size()];
        for (int i = 0; i < e.length; i++) e[i] = expected.get(i);
        MinifloatGrid g = (MinifloatGrid) Grids.of("e5m2", 0, false);
        assertArrayEquals(e, g.values());
        assertEquals(57344f, g.maxValue());
    }

    @Test
    void e4m3IsOcpFp8() {
        MinifloatGrid g = (MinifloatGrid) Grids.of("e4m3", 0, false);
        assertEquals(448f, g.maxValue());
        assertEquals(253, g.values().length);                // 126 non-zero magnitudes per sign, one NaN code each
        assertEquals((float) Math.pow(2, -9), g.values()[127]); // smallest subnormal
        assertEquals(0x7E, g.nearest(1e6f));                  // saturates to 448, never the NaN code 0x7F
        assertEquals(448f, g.level(0x7E));
    }

    /** QLoRA's construction of NF4, written out independently (bitsandbytes create_normal_map, offset 0.9677083). */
    @Test
    void nf4EqualsNormalQuantilesConstruction() {
        double offset = 0.9677083;
        List<Double> v = new ArrayList<>();
        for (int i = 0; i < 8; i++) v.add(inverseNormal(offset + (0.5 - offset) * i / 8.0));   // linspace(offset, 0.5, 9)[:-1]
        for (int i = 0; i < 7; i++) v.add(-inverseNormal(offset + (0.5 - offset) * i / 7.0));  // linspace(offset, 0.5, 8)[:-1]
        v.add(0.0);
        double max = v.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
        double[] expected = v.stream().mapToDouble(d -> d / max).sorted().toArray();
        float[] nf4 = Grids.of("nf4", 0, false).values();
        assertEquals(16, nf4.length);
        for (int i = 0; i < 16; i++) assertEquals(expected[i], nf4[i], 2e-6, "level " + i);
    }

    /** Acklam's rational approximation of the standard normal quantile (relative error below 1.2e-9). */
    static double inverseNormal(double p) {
        double[] a = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
        double[] b = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01};
        double[] c = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
        double[] d = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00};
        if (p < 0.02425) {
            double q = Math.sqrt(-2 * Math.log(p));
            return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        }
        if (p > 1 - 0.02425) return -inverseNormal(1 - p);
        double q = p - 0.5, r = q * q;
        return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    }

    static List<Grid> allGrids() {
        List<Grid> grids = new ArrayList<>();
        for (int b = 1; b <= 8; b++) {
            grids.add(new IntegerGrid(b, false));
            if (b >= 2) grids.add(new IntegerGrid(b, true));
        }
        for (String n : Grids.NAMES) if (!n.equals("int")) grids.add(Grids.of(n, 0, false));
        grids.add(Grids.parse("codebook:-1,-0.3,0,0.2,0.9", 0, false));
        return grids;
    }

    @Test
    void nearestIsTheClosestValueByBruteForce() {
        SplittableRandom r = new SplittableRandom(5);
        for (Grid g : allGrids()) {
            float[] values = g.values();
            float span = Math.max(Math.abs(values[0]), values[values.length - 1]);
            for (int i = 0; i < 20_000; i++) {
                float x = (float) ((r.nextDouble() * 2.4 - 1.2) * span);
                float got = g.level(g.nearest(x));
                float best = Float.POSITIVE_INFINITY;
                for (float v : values) best = Math.min(best, Math.abs(v - x));
                assertEquals(best, Math.abs(got - x), 0f, g + " at " + x);
                assertTrue(g.below(x) <= Math.max(x, values[0]) && g.above(x) >= Math.min(x, values[values.length - 1]), g + " neighbours of " + x);
                assertTrue(g.below(x) == got || g.above(x) == got, g + ": nearest is one of the neighbours at " + x);
            }
        }
    }

    @Test
    void tiesGoToTheEvenCode() {
        Grid e2m1 = Grids.of("e2m1", 0, false);
        assertEquals(1.0f, e2m1.level(e2m1.nearest(0.75f)));   // 0.5 = 0b001, 1.0 = 0b010
        assertEquals(1.0f, e2m1.level(e2m1.nearest(1.25f)));   // 1.0 = 0b010, 1.5 = 0b011
        assertEquals(2.0f, e2m1.level(e2m1.nearest(2.5f)));
        assertEquals(4.0f, e2m1.level(e2m1.nearest(5f)));
        assertEquals(-4.0f, e2m1.level(e2m1.nearest(-5f)));
        assertEquals(0.0f, e2m1.level(e2m1.nearest(0.25f)));
        assertEquals(0, e2m1.nearest(-0.1f));                  // rounds to +0's code, never −0's
        Grid int4 = new IntegerGrid(4, false);
        for (float x : new float[] {0.5f, 1.5f, 2.5f, 13.5f, 14.5f}) assertEquals(Math.rint(x), int4.level(int4.nearest(x)));
        Grid sym = new IntegerGrid(4, true);
        for (float x : new float[] {-7.5f, -0.5f, 0.5f, 3.5f}) assertEquals(Math.rint(x) + 0.0, sym.level(sym.nearest(x)) + 0.0); // +0.0: −0 == 0
        assertEquals(-8f, sym.level(sym.nearest(-100)));
        assertEquals(7f, sym.level(sym.nearest(100)));
    }

    @Test
    void bitsPerWeightIncludeScalesAndOffsets() {
        assertEquals(5.0, new IntegerGrid(4, false).bitsPerWeight(32));
        assertEquals(4.5, new IntegerGrid(4, true).bitsPerWeight(32));
        assertEquals(2.25, new IntegerGrid(2, false).bitsPerWeight(128));
        assertEquals(4.25, Grids.of("mxfp4", 0, false).bitsPerWeight(32));
        assertEquals(4.25, Grids.of("nf4", 0, false).bitsPerWeight(64));
        assertEquals(6.125, Grids.of("e3m2", 0, false).bitsPerWeight(128));
        assertEquals(4, Grids.parse("codebook:1,2,3,4,5,6,7,8,9", 0, false).bits());   // 9 levels need 16 codes
        assertEquals(5, Grids.parse("codebook:1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17", 0, false).bits());
    }

    @Test
    void fitMapsTheGroupOntoTheGrid() {
        float[] w = {0.1f, -0.4f, 0.3f, 0.05f};
        GroupScale asym = new IntegerGrid(2, false).fit(w, 0, 4, 1f);
        assertEquals(Float.float16ToFloat(Float.floatToFloat16(-0.4f)), asym.offset());
        assertEquals(0.7f / 3, asym.scale(), 1e-3);
        GroupScale sym = new IntegerGrid(4, true).fit(w, 0, 4, 1f);
        // The extreme lands on the extra negative level (up to the scale's rounding to fp16, ≤ 2^-11 relative).
        assertEquals(-8f, sym.toGrid(-0.4f), 8 * 0x1p-11);
        GroupScale fp4 = Grids.of("e2m1", 0, false).fit(w, 0, 4, 1f);
        assertEquals(-6f, fp4.toGrid(-0.4f), 6 * 0x1p-11);
        GroupScale mx = Grids.of("mxfp4", 0, false).fit(w, 0, 4, 1f);
        assertEquals(0.0625f, mx.scale());                      // 2^(floor(log2 0.4) − 2) = 2^-4
        assertEquals(0f, new IntegerGrid(3, true).fit(new float[4], 0, 4, 1f).scale());
    }

    @Test
    void rejectsImpossibleGrids() {
        assertThrows(IllegalArgumentException.class, () -> new IntegerGrid(1, true));
        assertThrows(IllegalArgumentException.class, () -> new IntegerGrid(9, false));
        assertThrows(IllegalArgumentException.class, () -> Grids.parse("codebook:1,1", 0, false));
        assertThrows(IllegalArgumentException.class, () -> Grids.parse("codebook:1,x", 0, false));
        assertThrows(IllegalArgumentException.class, () -> Grids.of("fp5", 0, false));
    }
}
