package dev.lowbit.engine.format.gguf;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Dequantizes ggml blocks exactly as ggml's reference {@code dequantize_row_*} functions define them
 * (ggml-quants.c): the same fields, the same float operations in the same order.
 */
final class GgmlDequant {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GgmlDequant() {}

    /** Writes {@code n} values (whole blocks) starting at byte {@code off} of {@code seg} into {@code dst[dstOff..]}. */
    static void row(GgmlType type, MemorySegment seg, long off, float[] dst, int dstOff, int n) {
        int blocks = n / type.blockSize;
        for (int b = 0; b < blocks; b++) {
            long p = off + (long) b * type.blockBytes;
            int o = dstOff + b * type.blockSize;
            switch (type) {
                case F32 -> dst[o] = seg.get(FLOAT, p);
                case F16 -> dst[o] = half(seg, p);
                case BF16 -> dst[o] = Float.intBitsToFloat((seg.get(HALF, p) & 0xFFFF) << 16);
                case Q8_0 -> q8_0(seg, p, dst, o);
                case Q4_0 -> q4_0(seg, p, dst, o);
                case Q4_1 -> q4_1(seg, p, dst, o);
                case Q4_K -> q4_K(seg, p, dst, o);
                case Q6_K -> q6_K(seg, p, dst, o);
                default -> throw new IllegalStateException(type + " cannot be dequantized");
            }
        }
    }

    static float half(MemorySegment seg, long p) {
        return Float.float16ToFloat(seg.get(HALF, p));
    }

    private static int u8(MemorySegment seg, long p) {
        return seg.get(ValueLayout.JAVA_BYTE, p) & 0xFF;
    }

    /** d (f16), then 32 signed bytes: x = d · q. */
    private static void q8_0(MemorySegment seg, long p, float[] y, int o) {
        float d = half(seg, p);
        for (int j = 0; j < 32; j++) y[o + j] = seg.get(ValueLayout.JAVA_BYTE, p + 2 + j) * d;
    }

    /** d (f16), then 16 bytes of nibbles: low nibbles are values 0..15, high nibbles 16..31; x = (q − 8) · d. */
    private static void q4_0(MemorySegment seg, long p, float[] y, int o) {
        float d = half(seg, p);
        for (int j = 0; j < 16; j++) {
            int q = u8(seg, p + 2 + j);
            y[o + j] = ((q & 0xF) - 8) * d;
            y[o + j + 16] = ((q >> 4) - 8) * d;
        }
    }

    /** d and m (f16), then nibbles as in Q4_0: x = q · d + m. */
    private static void q4_1(MemorySegment seg, long p, float[] y, int o) {
        float d = half(seg, p), m = half(seg, p + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(seg, p + 4 + j);
            y[o + j] = (q & 0xF) * d + m;
            y[o + j + 16] = (q >> 4) * d + m;
        }
    }

    /**
     * 256 values: d, dmin (f16), 12 bytes of eight 6-bit scales and mins, 128 bytes of nibbles. Each 64 values
     * use two sub-blocks: the low nibbles of 32 bytes, then their high nibbles; x = d·sc·q − dmin·m.
     */
    private static void q4_K(MemorySegment seg, long p, float[] y, int o) {
        float d = half(seg, p), min = half(seg, p + 2);
        long scales = p + 4, q = p + 16;
        int is = 0;
        for (int j = 0; j < 256; j += 64) {
            float d1 = d * scaleK4(seg, scales, is, false), m1 = min * scaleK4(seg, scales, is, true);
            float d2 = d * scaleK4(seg, scales, is + 1, false), m2 = min * scaleK4(seg, scales, is + 1, true);
            for (int l = 0; l < 32; l++) y[o + j + l] = d1 * (u8(seg, q + l) & 0xF) - m1;
            for (int l = 0; l < 32; l++) y[o + j + 32 + l] = d2 * (u8(seg, q + l) >> 4) - m2;
            q += 32;
            is += 2;
        }
    }

    /** ggml's get_scale_min_k4: scale ({@code min} false) or min of sub-block j from the 12 packed bytes. */
    static int scaleK4(MemorySegment seg, long q, int j, boolean min) {
        if (j < 4) return min ? u8(seg, q + j + 4) & 63 : u8(seg, q + j) & 63;
        return min ? (u8(seg, q + j + 4) >> 4) | ((u8(seg, q + j) >> 6) << 4)
                   : (u8(seg, q + j + 4) & 0xF) | ((u8(seg, q + j - 4) >> 6) << 4);
    }

    /**
     * 256 values: 128 bytes of low nibbles (ql), 64 bytes of 2-bit highs (qh), 16 signed 8-bit scales, d (f16).
     * Each half of 128 values: q = (4 low bits | 2 high bits << 4) − 32, x = d · scale · q.
     */
    private static void q6_K(MemorySegment seg, long p, float[] y, int o) {
        float d = half(seg, p + 208);
        long ql = p, qh = p + 128, sc = p + 192;
        for (int n = 0; n < 256; n += 128) {
            for (int l = 0; l < 32; l++) {
                int is = l / 16;
                int h = u8(seg, qh + l);
                int q1 = ((u8(seg, ql + l) & 0xF) | ((h & 3) << 4)) - 32;
                int q2 = ((u8(seg, ql + l + 32) & 0xF) | (((h >> 2) & 3) << 4)) - 32;
                int q3 = ((u8(seg, ql + l) >> 4) | (((h >> 4) & 3) << 4)) - 32;
                int q4 = ((u8(seg, ql + l + 32) >> 4) | (((h >> 6) & 3) << 4)) - 32;
                y[o + n + l] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is) * q1;
                y[o + n + l + 32] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 2) * q2;
                y[o + n + l + 64] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 4) * q3;
                y[o + n + l + 96] = d * seg.get(ValueLayout.JAVA_BYTE, sc + is + 6) * q4;
            }
            ql += 64;
            qh += 32;
            sc += 8;
        }
    }
}
