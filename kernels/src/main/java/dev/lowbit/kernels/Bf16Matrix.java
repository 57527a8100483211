package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Row-major little-endian bfloat16 weights (Hugging Face checkpoints, GGUF BF16), used in place: widened to fp32
 * n at a time in the GEMV (exactly: a bfloat16 is the upper half of a float), four rows far apart
 * ({@link FourStreams}). The twin of {@link F16Matrix}, which differs in the widening.
 */
public final class Bf16Matrix extends HalfWidthMatrix {
    public Bf16Matrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols, "bfloat16 values");
    }

    @Override public String typeName() { return "bf16"; }

    @Override
    void dotRows(int r, int stride, float[] x, int xOff, float[] dots) {
        int n = F.length(), end = cols - cols % n;
        long w0 = data.address() + 2L * r * cols, step = 2L * stride * cols, w1 = w0 + step, w2 = w1 + step, w3 = w2 + step;
        FloatVector zero = FloatVector.zero(F), a0 = zero, a1 = zero, a2 = zero, a3 = zero;
        for (int i = 0; i < end; i += n) {
            FloatVector xi = FloatVector.fromArray(F, x, xOff + i);
            a0 = widen(w0 + 2L * i).fma(xi, a0);
            a1 = widen(w1 + 2L * i).fma(xi, a1);
            a2 = widen(w2 + 2L * i).fma(xi, a2);
            a3 = widen(w3 + 2L * i).fma(xi, a3);
        }
        dots[0] = VectorOps.sum(zero.add(a0)) + tail(w0 - data.address(), end, x, xOff);
        dots[1] = VectorOps.sum(zero.add(a1)) + tail(w1 - data.address(), end, x, xOff);
        dots[2] = VectorOps.sum(zero.add(a2)) + tail(w2 - data.address(), end, x, xOff);
        dots[3] = VectorOps.sum(zero.add(a3)) + tail(w3 - data.address(), end, x, xOff);
        Reference.reachabilityFence(data);
    }

    /** n bfloat16 values at {@code address} as floats: their bits are a float's upper half. */
    private static FloatVector widen(long address) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(H, WeightMemory.EVERYWHERE, address, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
        return h.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    @Override
    float toFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }
}
