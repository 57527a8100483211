package dev.lowbit.engine.format.gguf;

import dev.lowbit.kernels.CodeLayout;
import dev.lowbit.kernels.CodebookMatrix;
import dev.lowbit.kernels.Int8Matrix;
import dev.lowbit.kernels.LutPacker;
import dev.lowbit.kernels.ScaleFormat;
import dev.lowbit.kernels.WeightMatrix;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q4_0, Q4_1 and Q8_0 blocks are exactly lowbit's integer codebooks with an f16 scale (and f16 offset) per group of
 * 32: Q4_0 is x = d·(q − 8), the symmetric 4-bit grid; Q4_1 is x = d·q + m, the asymmetric one; Q8_0 is x = d·q,
 * the symmetric 8-bit grid. Their codes and scales are copied bit for bit into that layout, so such GGUF models run
 * on the table-lookup and int8 kernels instead of dequantizing every row on every token.
 *
 * <p>Q4_K is the asymmetric 4-bit grid with a scale d·sc and offset −dmin·m per sub-block of 32; those products of an
 * f16 and a 6-bit integer are rounded to f16 here (a relative change below 2⁻¹¹, far inside the table-lookup
 * kernel's int8-table error), so Q4_K runs on the table-lookup kernel too.
 */
final class GgmlRepack {
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private GgmlRepack() {}

    /** The fast matrix for {@code type}, or null when the type or shape has none. */
    static WeightMatrix fast(GgmlType type, MemorySegment data, int rows, int cols) {
        CodebookMatrix c = switch (type) {
            case Q4_0, Q4_1 -> codebook(type, data, rows, cols, 4);
            case Q8_0 -> codebook(type, data, rows, cols, 8);
            case Q4_K -> q4K(data, rows, cols);
            default -> null;
        };
        if (c == null) return null;
        if (type == GgmlType.Q8_0) return Int8Matrix.over(c);
        return LutPacker.eligible(c) ? LutPacker.pack(c) : null;
    }

    static CodebookMatrix codebook(GgmlType type, MemorySegment data, int rows, int cols, int bits) {
        CodeLayout layout = new CodeLayout(rows, cols, bits, 32);
        boolean offset = type == GgmlType.Q4_1;
        float[] levels = new float[1 << bits];
        int base = type == GgmlType.Q4_1 ? 0 : -(1 << (bits - 1));
        for (int i = 0; i < levels.length; i++) levels[i] = base + i;
        Arena arena = Arena.ofAuto();
        MemorySegment codes = arena.allocate(layout.codeBytes(), 64);
        MemorySegment scales = arena.allocate(layout.groups() * 2, 64);
        MemorySegment offsets = offset ? arena.allocate(layout.groups() * 2, 64) : null;
        byte[] row = new byte[layout.rowBytes()];
        int blocks = cols / 32;
        for (int r = 0; r < rows; r++) {
            java.util.Arrays.fill(row, (byte) 0);
            for (int b = 0; b < blocks; b++) {
                long p = ((long) r * blocks + b) * type.blockBytes;
                long group = (long) r * blocks + b;
                scales.set(HALF, group * 2, data.get(HALF, p));
                if (offset) offsets.set(HALF, group * 2, data.get(HALF, p + 2));
                long q = p + (offset ? 4 : 2);
                for (int j = 0; j < 32; j++) {
                    int code = switch (type) {
                        case Q8_0 -> data.get(ValueLayout.JAVA_BYTE, q + j) + 128; // code q + 128 stands for level q
                        default -> {
                            int packed = data.get(ValueLayout.JAVA_BYTE, q + (j & 15)) & 0xFF;
                            yield j < 16 ? packed & 0xF : packed >> 4; // values j < 16 in low nibbles, j ≥ 16 in high
                        }
                    };
                    CodeLayout.setCode(row, 0, b * 32 + j, bits, code);
                }
            }
            MemorySegment.copy(row, 0, codes, ValueLayout.JAVA_BYTE, (long) r * row.length, row.length);
        }
        return new CodebookMatrix(layout, levels, ScaleFormat.F16, codes, scales, offsets);
    }

    /** Q4_K as asymmetric int4 in groups of 32: the codes as they are, scale d·sc and offset −dmin·m rounded to f16. */
    static CodebookMatrix q4K(MemorySegment data, int rows, int cols) {
        CodeLayout layout = new CodeLayout(rows, cols, 4, 32);
        float[] levels = new float[16];
        for (int i = 0; i < 16; i++) levels[i] = i;
        Arena arena = Arena.ofAuto();
        MemorySegment codes = arena.allocate(layout.codeBytes(), 64);
        MemorySegment scales = arena.allocate(layout.groups() * 2, 64), offsets = arena.allocate(layout.groups() * 2, 64);
        byte[] row = new byte[layout.rowBytes()];
        int superBlocks = cols / 256;
        for (int r = 0; r < rows; r++) {
            java.util.Arrays.fill(row, (byte) 0);
            for (int b = 0; b < superBlocks; b++) {
                long p = ((long) r * superBlocks + b) * GgmlType.Q4_K.blockBytes;
                float d = GgmlDequant.half(data, p), dmin = GgmlDequant.half(data, p + 2);
                for (int sub = 0; sub < 8; sub++) {
                    long group = (long) r * (cols / 32) + b * 8 + sub;
                    ScaleFormat.F16.write(scales, group, d * GgmlDequant.scaleK4(data, p + 4, sub, false));
                    ScaleFormat.F16.write(offsets, group, -(dmin * GgmlDequant.scaleK4(data, p + 4, sub, true)));
                    // Sub-blocks 2k and 2k+1 are the low and high nibbles of the same 32 bytes.
                    long q = p + 16 + 32L * (sub / 2);
                    for (int l = 0; l < 32; l++) {
                        int packed = data.get(ValueLayout.JAVA_BYTE, q + l) & 0xFF;
                        CodeLayout.setCode(row, 0, b * 256 + sub * 32 + l, 4, sub % 2 == 0 ? packed & 0xF : packed >> 4);
                    }
                }
            }
            MemorySegment.copy(row, 0, codes, ValueLayout.JAVA_BYTE, (long) r * row.length, row.length);
        }
        return new CodebookMatrix(layout, levels, ScaleFormat.F16, codes, scales, offsets);
    }
}
