package dev.lowbit.engine.format.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Blocks packed by hand from chosen codes and scales (the inverse of each ggml layout, written from the block
 * definitions in ggml-common.h), and the values those codes and scales stand for.
 */
class GgmlDequantTest {
    final SplittableRandom rnd = new SplittableRandom(3);

    static float[] dequant(GgmlType type, byte[] block, int n) {
        float[] out = new float[n];
        GgmlDequant.row(type, MemorySegment.ofArray(block), 0, out, 0, n);
        return out;
    }

    static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    @Test
    void q8_0() {
        ByteBuffer b = le(34).putShort(Float.floatToFloat16(0.5f));
        float[] expected = new float[32];
        for (int j = 0; j < 32; j++) {
            int q = rnd.nextInt(-128, 128);
            b.put((byte) q);
            expected[j] = 0.5f * q;
        }
        assertArrayEquals(expected, dequant(GgmlType.Q8_0, b.array(), 32));
    }

    @Test
    void q4_0AndQ4_1() {
        int[] q = new int[32];
        for (int j = 0; j < 32; j++) q[j] = rnd.nextInt(16);
        ByteBuffer a = le(18).putShort(Float.floatToFloat16(2f));
        ByteBuffer b = le(20).putShort(Float.floatToFloat16(0.25f)).putShort(Float.floatToFloat16(-1f));
        for (int j = 0; j < 16; j++) {
            a.put((byte) (q[j] | q[j + 16] << 4)); // value j in the low nibble, value j+16 in the high nibble
            b.put((byte) (q[j] | q[j + 16] << 4));
        }
        float[] e0 = new float[32], e1 = new float[32];
        for (int j = 0; j < 32; j++) {
            e0[j] = (q[j] - 8) * 2f;
            e1[j] = q[j] * 0.25f - 1f;
        }
        assertArrayEquals(e0, dequant(GgmlType.Q4_0, a.array(), 32));
        assertArrayEquals(e1, dequant(GgmlType.Q4_1, b.array(), 32));
    }

    @Test
    void q4_K() {
        float d = 0.125f, dmin = 0.0625f;
        int[] sc = new int[8], m = new int[8], q = new int[256];
        for (int i = 0; i < 8; i++) {
            sc[i] = rnd.nextInt(64);
            m[i] = rnd.nextInt(64);
        }
        for (int i = 0; i < 256; i++) q[i] = rnd.nextInt(16);
        // 12 bytes: sub-blocks 0-3 keep scale and min in the low 6 bits of bytes 0-3 and 4-7; sub-blocks 4-7 keep
        // their low 4 bits in bytes 8-11 (scale low nibble, min high nibble) and their top 2 bits in the top bits
        // of bytes 0-3 (scales) and 4-7 (mins).
        byte[] packed = new byte[12];
        for (int i = 0; i < 4; i++) {
            packed[i] = (byte) (sc[i] | (sc[i + 4] >> 4) << 6);
            packed[i + 4] = (byte) (m[i] | (m[i + 4] >> 4) << 6);
            packed[i + 8] = (byte) ((sc[i + 4] & 0xF) | (m[i + 4] & 0xF) << 4);
        }
        ByteBuffer b = le(144).putShort(Float.floatToFloat16(d)).putShort(Float.floatToFloat16(dmin)).put(packed);
        // Each 64 values: 32 bytes, sub-block 2k in the low nibbles, 2k+1 in the high nibbles.
        for (int chunk = 0; chunk < 4; chunk++) {
            for (int l = 0; l < 32; l++) b.put((byte) (q[chunk * 64 + l] | q[chunk * 64 + 32 + l] << 4));
        }
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) {
            int s = i / 32;
            expected[i] = d * sc[s] * q[i] - dmin * m[s];
        }
        assertArrayEquals(expected, dequant(GgmlType.Q4_K, b.array(), 256));
    }

    @Test
    void q6_K() {
        float d = 0.01f;
        int[] q = new int[256];
        byte[] scales = new byte[16];
        for (int i = 0; i < 256; i++) q[i] = rnd.nextInt(64);
        for (int i = 0; i < 16; i++) scales[i] = (byte) rnd.nextInt(-128, 128);
        // Per half of 128 values (h): value h*128 + 32*k + l has its low 4 bits in ql[h*64 + l + 32*(k&1)]
        // (low nibble for k < 2, high nibble for k ≥ 2) and its top 2 bits in qh[h*32 + l] at bit 2k.
        byte[] ql = new byte[128], qh = new byte[64];
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 4; k++) {
                for (int l = 0; l < 32; l++) {
                    int v = q[h * 128 + 32 * k + l];
                    int qlIndex = h * 64 + l + 32 * (k & 1);
                    ql[qlIndex] |= (byte) ((v & 0xF) << (k >= 2 ? 4 : 0));
                    qh[h * 32 + l] |= (byte) ((v >> 4) << (2 * k));
                }
            }
        }
        byte[] block = le(210).put(ql).put(qh).put(scales).putShort(Float.floatToFloat16(d)).array();
        float dh = Float.float16ToFloat(Float.floatToFloat16(d));
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) expected[i] = dh * scales[i / 16] * (q[i] - 32);
        assertArrayEquals(expected, dequant(GgmlType.Q6_K, block, 256));
    }

    @Test
    void halfAndBfloat() {
        byte[] h = le(4).putShort(Float.floatToFloat16(1.5f)).putShort(Float.floatToFloat16(-0.125f)).array();
        assertArrayEquals(new float[] {1.5f, -0.125f}, dequant(GgmlType.F16, h, 2));
        byte[] bf = le(4).putShort((short) (Float.floatToIntBits(3.0f) >>> 16)).putShort((short) (Float.floatToIntBits(-2.5f) >>> 16)).array();
        assertArrayEquals(new float[] {3.0f, -2.5f}, dequant(GgmlType.BF16, bf, 2));
    }
}
