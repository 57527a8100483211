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
                case Q5_0 -> q5_0(seg, p, dst, o);
                case Q5_1 -> q5_1(seg, p, dst, o);
                case Q2_K -> q2_K(seg, p, dst, o);
                case Q3_K -> q3_K(seg, p, dst, o);
                case Q5_K -> q5_K(seg, p, dst, o);
                case IQ4_NL -> iq4_nl(seg, p, dst, o);
                case IQ4_XS -> iq4_xs(seg, p, dst, o);
                case TQ1_0 -> tq1_0(seg, p, dst, o);
                case TQ2_0 -> tq2_0(seg, p, dst, o);
                case MXFP4 -> mxfp4(seg, p, dst, o);
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

    /** ggml's IQ4_NL codebook (kvalues_iq4nl), also IQ4_XS's. */
    static final int[] IQ4_NL_VALUES = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
    /** ggml's MXFP4 codes: E2M1 values doubled (kvalues_mxfp4), the scale halved to match. */
    static final int[] MXFP4_VALUES = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

    private static int u32(MemorySegment seg, long p) {
        return seg.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), p);
    }

    /** d (f16), 32 fifth bits (qh), 16 bytes of nibbles: x = ((nibble | fifth bit << 4) − 16) · d. */
    private static void q5_0(MemorySegment seg, long p, float[] y, int o) {
        float d = half(seg, p);
        int qh = u32(seg, p + 2);
        for (int j = 0; j < 16; j++) {
            int q = u8(seg, p + 6 + j);
            int x0 = ((q & 0xF) | (((qh >>> j) << 4) & 0x10)) - 16;
            int x1 = ((q >> 4) | ((qh >>> (j + 12)) & 0x10)) - 16;
            y[o + j] = x0 * d;
            y[o + j + 16] = x1 * d;
        }
    }

    /** d and m (f16), qh, nibbles as in Q5_0: x = (nibble | fifth bit << 4) · d + m. */
    private static void q5_1(MemorySegment seg, long p, float[] y, int o) {
        float d = half(seg, p), m = half(seg, p + 2);
        int qh = u32(seg, p + 4);
        for (int j = 0; j < 16; j++) {
            int q = u8(seg, p + 8 + j);
            int x0 = (q & 0xF) | (((qh >>> j) << 4) & 0x10);
            int x1 = (q >> 4) | ((qh >>> (j + 12)) & 0x10);
            y[o + j] = x0 * d + m;
            y[o + j + 16] = x1 * d + m;
        }
    }

    /**
     * 256 values: 16 bytes of 4-bit scale and min pairs, 64 bytes of 2-bit codes, d and dmin (f16). Sixteen
     * sub-blocks of 16: x = d · scale · q − dmin · min, the codes of each 128 values in four 2-bit planes of 32 bytes.
     */
    private static void q2_K(MemorySegment seg, long p, float[] y, int o) {
        float d = half(seg, p + 80), min = half(seg, p + 82);
        long q = p + 16;
        int is = 0, k = o;
        for (int n = 0; n < 256; n += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 32; half += 16) {
                    int sc = u8(seg, p + is++);
                    float dl = d * (sc & 0xF), ml = min * (sc >> 4);
                    for (int l = 0; l < 16; l++) y[k++] = dl * ((u8(seg, q + half + l) >> shift) & 3) - ml;
                }
            }
            q += 32;
        }
    }

    /**
     * 256 values: 32 bytes of high bits (hmask), 64 bytes of 2-bit codes, 12 bytes of sixteen 6-bit scales, d (f16).
     * x = d · (scale − 32) · (low 2 bits − (high bit set ? 0 : 4)), laid out as Q2_K's codes.
     */
    private static void q3_K(MemorySegment seg, long p, float[] y, int o) {
        float dAll = half(seg, p + 108);
        long hm = p, q = p + 32;
        int[] scales = q3Scales(seg, p + 96);
        int is = 0, k = o, m = 1;
        for (int n = 0; n < 256; n += 128) {
            for (int shift = 0; shift < 8; shift += 2) {
                for (int half = 0; half < 32; half += 16) {
                    float dl = dAll * (scales[is++] - 32);
                    for (int l = 0; l < 16; l++) {
                        int low = (u8(seg, q + half + l) >> shift) & 3;
                        y[k++] = dl * (low - ((u8(seg, hm + half + l) & m) != 0 ? 0 : 4));
                    }
                }
                m <<= 1;
            }
            q += 32;
        }
    }

    /** Q3_K's sixteen 6-bit scales from their 12 bytes: low 4 bits in bytes 0–7, high 2 bits in bytes 8–11. */
    static int[] q3Scales(MemorySegment seg, long p) {
        int[] s = new int[16];
        for (int j = 0; j < 16; j++) {
            int low = j < 8 ? u8(seg, p + j) & 0xF : u8(seg, p + j - 8) >> 4;
            int high = (u8(seg, p + 8 + j % 4) >> (2 * (j / 4))) & 3;
            s[j] = low | high << 4;
        }
        return s;
    }

    /**
     * 256 values: d, dmin (f16), 12 bytes of 6-bit scales and mins (as Q4_K), 32 bytes of fifth bits, 128 bytes of
     * nibbles: x = d·sc·(nibble + 16·fifth bit) − dmin·m, sub-block pairs as in Q4_K.
     */
    private static void q5_K(MemorySegment seg, long p, float[] y, int o) {
        float d = half(seg, p), min = half(seg, p + 2);
        long scales = p + 4, qh = p + 16, ql = p + 48;
        int is = 0, u1 = 1, u2 = 2, k = o;
        for (int j = 0; j < 256; j += 64) {
            float d1 = d * scaleK4(seg, scales, is, false), m1 = min * scaleK4(seg, scales, is, true);
            float d2 = d * scaleK4(seg, scales, is + 1, false), m2 = min * scaleK4(seg, scales, is + 1, true);
            for (int l = 0; l < 32; l++) y[k++] = d1 * ((u8(seg, ql + l) & 0xF) + ((u8(seg, qh + l) & u1) != 0 ? 16 : 0)) - m1;
            for (int l = 0; l < 32; l++) y[k++] = d2 * ((u8(seg, ql + l) >> 4) + ((u8(seg, qh + l) & u2) != 0 ? 16 : 0)) - m2;
            ql += 32;
            is += 2;
            u1 <<= 2;
            u2 <<= 2;
        }
    }

    /** d (f16), 16 bytes of nibbles (low: values 0..15, high: 16..31): x = d · IQ4_NL_VALUES[nibble]. */
    private static void iq4_nl(MemorySegment seg, long p, float[] y, int o) {
        float d = half(seg, p);
        for (int j = 0; j < 16; j++) {
            int q = u8(seg, p + 2 + j);
            y[o + j] = d * IQ4_NL_VALUES[q & 0xF];
            y[o + j + 16] = d * IQ4_NL_VALUES[q >> 4];
        }
    }

    /**
     * 256 values: d (f16), the high 2 bits of eight 6-bit scales (u16), their low 4 bits (4 bytes), 128 bytes of
     * nibbles; eight blocks of 32 as IQ4_NL with scale d · (ls − 32).
     */
    private static void iq4_xs(MemorySegment seg, long p, float[] y, int o) {
        float d = half(seg, p);
        int scalesH = seg.get(HALF, p + 2) & 0xFFFF;
        long qs = p + 8;
        for (int ib = 0; ib < 8; ib++) {
            int ls = ((u8(seg, p + 4 + ib / 2) >> (4 * (ib % 2))) & 0xF) | (((scalesH >> (2 * ib)) & 3) << 4);
            float dl = d * (ls - 32);
            for (int j = 0; j < 16; j++) {
                int q = u8(seg, qs + j);
                y[o + 32 * ib + j] = dl * IQ4_NL_VALUES[q & 0xF];
                y[o + 32 * ib + j + 16] = dl * IQ4_NL_VALUES[q >> 4];
            }
            qs += 16;
        }
    }

    /**
     * 256 ternary values: 48 bytes of five base-3 digits each, 4 bytes of four digits each, d (f16). Digit n of a
     * byte b is ((b · 3^n mod 256) · 3) >> 8; x = (digit − 1) · d. Order: bytes 0–31 digit by digit, then 32–47,
     * then the 4 bytes.
     */
    private static void tq1_0(MemorySegment seg, long p, float[] y, int o) {
        float d = half(seg, p + 52);
        int k = o;
        k = ternaryDigits(seg, p, 32, 5, d, y, k);
        k = ternaryDigits(seg, p + 32, 16, 5, d, y, k);
        ternaryDigits(seg, p + 48, 4, 4, d, y, k);
    }

    private static final int[] POW3 = {1, 3, 9, 27, 81, 243};

    private static int ternaryDigits(MemorySegment seg, long p, int bytes, int digits, float d, float[] y, int k) {
        for (int n = 0; n < digits; n++) {
            for (int m = 0; m < bytes; m++) {
                int q = (u8(seg, p + m) * POW3[n]) & 0xFF;
                y[k++] = (((q * 3) >> 8) - 1) * d;
            }
        }
        return k;
    }

    /** 256 values: 64 bytes of four 2-bit codes each, d (f16): x = (code − 1) · d, 32 bytes per plane of four. */
    private static void tq2_0(MemorySegment seg, long p, float[] y, int o) {
        float d = half(seg, p + 64);
        int k = o;
        for (int j = 0; j < 64; j += 32) {
            for (int l = 0; l < 4; l++) {
                for (int m = 0; m < 32; m++) y[k++] = (((u8(seg, p + j + m) >> (2 * l)) & 3) - 1) * d;
            }
        }
    }

    /** e (E8M0), 16 bytes of nibbles: x = MXFP4_VALUES[nibble] · 2^(e − 128) (half the block scale; the values are doubled). */
    private static void mxfp4(MemorySegment seg, long p, float[] y, int o) {
        int e = u8(seg, p);
        float d = Float.intBitsToFloat(e < 2 ? 0x00200000 << e : (e - 1) << 23);
        for (int j = 0; j < 16; j++) {
            int q = u8(seg, p + 1 + j);
            y[o + j] = MXFP4_VALUES[q & 0xF] * d;
            y[o + j + 16] = MXFP4_VALUES[q >> 4] * d;
        }
    }
}
