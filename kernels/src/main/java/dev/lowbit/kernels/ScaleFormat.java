package dev.lowbit.kernels;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** How per-group scales (and offsets) are stored. */
public enum ScaleFormat {
    /** IEEE half precision, 2 bytes. */
    F16(2),
    /** OCP MX shared scale: an 8-bit biased exponent, value 2^(e − 127); 0xFF is NaN and never written. */
    E8M0(1);

    // 16 scales per step, or 8 without AVX-512 (VectorOps.WIDE).
    private static final VectorSpecies<Integer> I = VectorOps.WIDE ? IntVector.SPECIES_512 : IntVector.SPECIES_256;
    private static final VectorSpecies<Short> H = I.length() == 16 ? ShortVector.SPECIES_256 : ShortVector.SPECIES_128;
    private static final VectorSpecies<Byte> Q = I.length() == 16 ? ByteVector.SPECIES_128 : ByteVector.SPECIES_64;
    private static final ValueLayout.OfShort LE_SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final int bytes;

    ScaleFormat(int bytes) {
        this.bytes = bytes;
    }

    public int bytes() {
        return bytes;
    }

    /** The value at element {@code index} of a segment of such scales. */
    public float read(MemorySegment seg, long index) {
        return switch (this) {
            case F16 -> Float.float16ToFloat(seg.get(LE_SHORT, 2 * index));
            case E8M0 -> Math.scalb(1.0f, (seg.get(ValueLayout.JAVA_BYTE, index) & 0xFF) - 127);
        };
    }

    public void write(MemorySegment seg, long index, float value) {
        switch (this) {
            case F16 -> seg.set(LE_SHORT, 2 * index, Float.floatToFloat16(value));
            case E8M0 -> seg.set(ValueLayout.JAVA_BYTE, index, (byte) e8m0Bits(value));
        }
    }

    /**
     * Decodes {@code count} consecutive values starting at element {@code first} into {@code out[offset..]}:
     * 16 (or 8) at a time with the Vector API, the rest one by one. For the kernels' per-group scales and offsets.
     */
    public void readAll(MemorySegment seg, long first, int count, float[] out, int offset) {
        // One straight loop per format: a vector chosen by a switch would be a merge of two vector values,
        // which C2 may box instead of keeping in a register.
        int i = 0;
        if (this == F16) {
            for (; i + I.length() <= count; i += I.length()) {
                IntVector h = (IntVector) ShortVector.fromMemorySegment(H, seg, 2 * (first + i), ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.S2I, I, 0);
                f16Floats(h).intoArray(out, offset + i);
            }
        } else {
            for (; i + I.length() <= count; i += I.length()) {
                e8m0Bits((IntVector) ByteVector.fromMemorySegment(Q, seg, first + i, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2I, I, 0)).reinterpretAsFloats().intoArray(out, offset + i);
            }
        }
        for (; i < count; i++) out[offset + i] = read(seg, first + i);
    }

    /**
     * The 64 values of one kernel tile, starting {@code byteOffset} bytes into the segment, into out[offset..+64) in
     * the 512-bit kernel's paired order: rows 0, 2, …, 30,
     * then 1, 3, …, 31, then 32, 34, …, 62, then 33, …, 63. The split into even and odd rows falls out of reading
     * two values per int lane, so it costs nothing. Needs 512-bit vectors.
     */
    public void readTilePaired(MemorySegment seg, long byteOffset, float[] out, int offset) {
        for (int half = 0; half < 2; half++) {
            int o = offset + 32 * half;
            if (this == F16) {
                // Lane i holds row 2i in its low half and row 2i+1 in its high half; an arithmetic shift keeps the sign.
                IntVector x = IntVector.fromMemorySegment(IntVector.SPECIES_512, seg, byteOffset + 64L * half, ByteOrder.LITTLE_ENDIAN);
                f16LowHalves(x).intoArray(out, o);
                f16HighHalves(x).intoArray(out, o + 16);
            } else {
                IntVector x = e8m0Pairs(seg, byteOffset + 32L * half);
                e8m0LowBytes(x).intoArray(out, o);
                e8m0HighBytes(x).intoArray(out, o + 16);
            }
        }
    }

    /** The f16 values in the low 16 bits of each int lane, as floats (the even rows of a paired tile). */
    static FloatVector f16LowHalves(IntVector x) {
        return x.lanewise(VectorOperators.LSHL, 16).lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f);
    }

    /** The f16 values in the high 16 bits of each int lane, as floats (the odd rows of a paired tile). */
    static FloatVector f16HighHalves(IntVector x) {
        return x.lanewise(VectorOperators.ASHR, 3).and(0x8FFFE000).reinterpretAsFloats().mul(0x1p112f);
    }

    /** 32 E8M0 bytes from {@code byteOffset}, two per int lane (rows 2i and 2i+1 of a paired tile). */
    static IntVector e8m0Pairs(MemorySegment seg, long byteOffset) {
        return (IntVector) ShortVector.fromMemorySegment(ShortVector.SPECIES_256, seg, byteOffset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, IntVector.SPECIES_512, 0);
    }

    /** The E8M0 values in the low byte of each int lane of {@link #e8m0Pairs}, as floats (the even rows). */
    static FloatVector e8m0LowBytes(IntVector x) {
        return e8m0Bits(x).reinterpretAsFloats();
    }

    /** The E8M0 values in the second byte of each int lane of {@link #e8m0Pairs}, as floats (the odd rows). */
    static FloatVector e8m0HighBytes(IntVector x) {
        return e8m0Bits(x.lanewise(VectorOperators.LSHR, 8)).reinterpretAsFloats();
    }

    /**
     * Sign-extended f16 bits → the float bits of the value times 2^−112: after the shift bit 31 still holds the
     * sign, exponent and mantissa sit in float position, and the mask clears the sign copies between. Multiplying
     * by 2^(127−15) then gives the exact value, subnormals included (scales are never infinite or NaN).
     */
    static IntVector f16Bits(IntVector h) {
        return h.lanewise(VectorOperators.LSHL, 13).and(0x8FFFE000);
    }

    /** Sign-extended f16 bits as the floats they hold ({@link #f16Bits}, then times 2^112). */
    static FloatVector f16Floats(IntVector h) {
        return f16Bits(h).reinterpretAsFloats().mul(0x1p112f);
    }

    /** The byte is the float's exponent field; 0 (2^-127) only occurs in all-zero groups, where it reads as 0. */
    private static IntVector e8m0Bits(IntVector b) {
        return b.and(0xFF).lanewise(VectorOperators.LSHL, 23);
    }

    /** The value this format stores for {@code v} (what a reader gets back). */
    public float round(float v) {
        return switch (this) {
            case F16 -> Float.float16ToFloat(Float.floatToFloat16(v));
            case E8M0 -> Math.scalb(1.0f, e8m0Bits(v) - 127);
        };
    }

    /** E8M0 holds only powers of two; {@code v} must be one (the MX scale rule produces them). */
    private static int e8m0Bits(float v) {
        if (!(v > 0) || Float.isInfinite(v)) throw new IllegalArgumentException("E8M0 scale must be a positive power of two, got " + v);
        int e = Math.getExponent(v);
        if (Math.scalb(1.0f, e) != v && v >= Float.MIN_NORMAL) throw new IllegalArgumentException("E8M0 scale must be a power of two, got " + v);
        return Math.max(0, Math.min(254, e + 127));
    }
}
