package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.ref.Reference;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Row-major little-endian IEEE half-precision weights, widened to fp32 n at a time in the GEMV, four rows far apart
 * ({@link FourStreams}); {@link Bf16Matrix} is its twin for bfloat16. Infinite and NaN weights are read as large
 * finite values by the GEMV (the widening is exact for every finite half, subnormals included).
 */
public final class F16Matrix extends HalfWidthMatrix {
    public F16Matrix(MemorySegment data, int rows, int cols) {
        super(data, rows, cols, "halfs");
    }

    /** Rounds {@code values} to half precision in a new off-heap segment. */
    public static F16Matrix of(float[] values, int rows, int cols) {
        MemorySegment seg = WeightMemory.allocate(2L * rows * cols);
        for (int i = 0; i < rows * cols; i++) seg.set(LE_SHORT, 2L * i, Float.floatToFloat16(values[i]));
        return new F16Matrix(seg, rows, cols);
    }

    @Override public String typeName() { return "f16"; }

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

    /** n halves at {@code address} as floats: the bits moved into float position, then rebiased (ScaleFormat.f16Bits). */
    private static FloatVector widen(long address) {
        IntVector h = (IntVector) ShortVector.fromMemorySegment(H, WeightMemory.EVERYWHERE, address, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, I, 0);
        return ScaleFormat.f16Floats(h);
    }

    @Override
    float toFloat(short bits) {
        return Float.float16ToFloat(bits);
    }
}
