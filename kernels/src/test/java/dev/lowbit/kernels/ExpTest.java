package dev.lowbit.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class ExpTest {
    /** Distance in ulps of float from the exact value (Math.exp in double). */
    private static double ulps(float got, double exact) {
        return Math.abs(got - exact) / Math.ulp((float) exact);
    }

    @Test
    void withinOneUlpOfTheExactValueOverItsRange() {
        double worst = 0;
        float worstAt = 0;
        // Every 2^-14 step over [-87, 88]: 2.9 million inputs, each position within the ln 2 intervals many times.
        for (float x = Exp.LO; x <= Exp.HI; x += 0x1p-14f) {
            double u = ulps(Exp.exp(x), Math.exp(x));
            if (u > worst) {
                worst = u;
                worstAt = x;
            }
        }
        assertTrue(worst < 1, "worst error " + worst + " ulp at x = " + worstAt);
    }

    @Test
    void limitsAndSpecialValues() {
        assertEquals(1f, Exp.exp(0f));
        assertEquals(1f, Exp.exp(-0f));
        assertEquals(0f, Exp.exp(Float.NEGATIVE_INFINITY));
        assertEquals(0f, Exp.exp(-100f));
        assertEquals(0f, Exp.exp(Math.nextDown(Exp.LO)));
        assertEquals(Float.POSITIVE_INFINITY, Exp.exp(Float.POSITIVE_INFINITY));
        assertEquals(Float.POSITIVE_INFINITY, Exp.exp(100f));
        assertEquals(Float.POSITIVE_INFINITY, Exp.exp(Math.nextUp(Exp.HI)));
        assertTrue(Float.isNaN(Exp.exp(Float.NaN)));
        assertTrue(ulps(Exp.exp(Exp.LO), Math.exp(Exp.LO)) <= 2);
        assertTrue(ulps(Exp.exp(Exp.HI), Math.exp(Exp.HI)) <= 2);
        assertEquals((float) Math.E, Exp.exp(1f), Math.ulp((float) Math.E));
    }

    /** Every lane gives the scalar twin's bits, in every JIT tier (the loop runs long enough for C2 to take it). */
    @Test
    void vectorLanesEqualTheScalarBitForBit() {
        SplittableRandom r = new SplittableRandom(11);
        var species = FloatVector.SPECIES_PREFERRED;
        float[] x = new float[species.length()], y = new float[species.length()];
        float[] special = {0f, -0f, Exp.LO, Exp.HI, Math.nextDown(Exp.LO), Math.nextUp(Exp.HI), Float.NaN,
                Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 1e-30f, -1e-30f};
        for (int round = 0; round < 200_000; round++) {
            for (int i = 0; i < x.length; i++) {
                x[i] = round < special.length && i == 0 ? special[round] : (float) (r.nextDouble() * 200 - 100);
            }
            Exp.exp(FloatVector.fromArray(species, x, 0)).intoArray(y, 0);
            for (int i = 0; i < x.length; i++) {
                assertEquals(Float.floatToRawIntBits(Exp.exp(x[i])), Float.floatToRawIntBits(y[i]), "x = " + x[i]);
            }
        }
    }
}
