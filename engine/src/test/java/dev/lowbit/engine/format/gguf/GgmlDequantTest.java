package dev.lowbit.engine.format.gguf;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every block type decodes to ggml's own values: the golden files in {@code ggml-dequant/} hold six blocks of
 * pseudo-random bytes per type and what ggml's {@code dequantize_row_<type>} (llama.cpp's prebuilt libggml-base)
 * makes of them, written by {@code bench/llamacpp/ggml_dequant.c}.
 */
class GgmlDequantTest {

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0", "MXFP4"})
    void decodesAsGgml(GgmlType type) throws IOException {
        String name = type.name().toLowerCase(Locale.ROOT).replace("_k", "_K");
        byte[] blocks = resource(name + ".blocks");
        float[] expected = floats(resource(name + ".values"));
        int count = blocks.length / type.blockBytes;
        assertEquals(blocks.length, count * type.blockBytes, name + " blocks");
        assertEquals(expected.length, count * type.blockSize, name + " values");
        float[] got = new float[expected.length];
        GgmlDequant.row(type, MemorySegment.ofArray(blocks), 0, got, 0, got.length);
        for (int i = 0; i < got.length; i++) {
            assertEquals(expected[i], got[i], 0f, name + " value " + i); // the same floats (±0 aside)
        }
    }

    /**
     * The types lowbit copies into its own layouts decode there to ggml's values: exactly where the copy is exact,
     * within the f16 rounding of a sub-block's scale for Q5_K and IQ4_XS (d·sc is stored as one f16), and MXFP4's
     * E8M0 byte 0 (2^-127, only in all-zero blocks in practice) reads as 0.
     */
    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"Q5_0", "Q5_1", "Q5_K", "IQ4_NL", "IQ4_XS", "TQ2_0", "MXFP4", "Q6_K", "Q3_K", "Q2_K"})
    void copiedIntoLowbitsLayoutsTheyDecodeAsGgml(GgmlType type) throws IOException {
        String name = type.name().toLowerCase(Locale.ROOT).replace("_k", "_K");
        byte[] blocks = resource(name + ".blocks");
        float[] expected = floats(resource(name + ".values"));
        dev.lowbit.kernels.WeightMatrix m = GgmlRepack.fast(type, MemorySegment.ofArray(blocks), 1, expected.length);
        org.junit.jupiter.api.Assertions.assertNotNull(m, name);
        float[] got = new float[expected.length];
        m.readRow(0, got, 0);
        MemorySegment seg = MemorySegment.ofArray(blocks);
        for (int i = 0; i < got.length; i++) {
            long p = (long) (i / 256) * type.blockBytes;
            int sub = i % 256 / 32;
            double tolerance = switch (type) {
                // x = d1·q − m1 with d1 and m1 each rounded to f16 (half an ulp: 2^-11 relative), q ≤ 31
                case Q5_K -> 0x1p-11 * (31 * Math.abs(GgmlDequant.half(seg, p) * GgmlDequant.scaleK4(seg, p + 4, sub, false))
                        + Math.abs(GgmlDequant.half(seg, p + 2) * GgmlDequant.scaleK4(seg, p + 4, sub, true)));
                // x = dl·v with dl rounded to f16, |v| ≤ 127
                case IQ4_XS -> 0x1p-11 * 127 * Math.abs(GgmlDequant.half(seg, p)) * 32;
                // x = (d·sc)·q with d·sc rounded to f16: |sc| ≤ 128, |q| ≤ 32 (Q6_K), 32 and 4 (Q3_K)
                case Q6_K -> 0x1p-11 * 128 * 32 * Math.abs(GgmlDequant.half(seg, p + 208));
                case Q3_K -> 0x1p-11 * 32 * 4 * Math.abs(GgmlDequant.half(seg, p + 108));
                // x = (d·sc)·q − (dmin·m), both products rounded to f16: sc, m ≤ 15, q ≤ 3
                case Q2_K -> 0x1p-11 * (15 * 3 * Math.abs(GgmlDequant.half(seg, p + 80)) + 15 * Math.abs(GgmlDequant.half(seg, p + 82)));
                case MXFP4 -> 1e-36;
                default -> 0;
            };
            assertEquals(expected[i], got[i], tolerance * 1.001, name + " value " + i + " (" + m.typeName() + ")");
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = GgmlDequantTest.class.getResourceAsStream("/ggml-dequant/" + name)) {
            if (in == null) throw new IOException("missing test resource ggml-dequant/" + name);
            return in.readAllBytes();
        }
    }

    private static float[] floats(byte[] b) {
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        float[] f = new float[b.length / 4];
        for (int i = 0; i < f.length; i++) f[i] = buf.getFloat();
        return f;
    }
}
