package dev.lowbit.engine.format.gguf;

import dev.lowbit.kernels.CodeLayout;
import dev.lowbit.kernels.CodebookMatrix;
import dev.lowbit.kernels.Int8Matrix;
import dev.lowbit.kernels.KernelChoice;
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
 * kernel's int8-table error), so Q4_K runs on the table-lookup kernel too; so do Q5_K (the 5-bit grid, two passes)
 * and IQ4_XS (IQ4_NL's codebook with a 6-bit scale per 32) the same way.
 *
 * <p>Exactly, as copies: Q5_0 and Q5_1 are the 5-bit grids (symmetric; asymmetric with an f16 offset) per 32, run in
 * two table-lookup passes; IQ4_NL is a 16-level codebook with an f16 scale per 32; TQ2_0 is the 2-bit grid
 * {−1, 0, 1, 2} with an f16 scale per 256; MXFP4 is lowbit's mxfp4 (E2M1 with an E8M0 scale per 32: ggml doubles
 * the values and halves the scale).
 *
 * <p>Q6_K, Q3_K and Q2_K, with a scale (and for Q2_K a min) per 16 values, run on the int8 kernel: each code as a byte
 * (level = code), and per 16 values the scale d·sc (and offset −dmin·m) rounded to f16 as for Q4_K. That reads 8 bits
 * per weight where the file has 6.6, 3.4 or 2.6, but multiplies them as fast as lowbit's int8 matrices instead of
 * decoding each block on every token.
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
            case Q5_0, Q5_1 -> q5(type, data, rows, cols);
            case Q5_K -> q5K(data, rows, cols);
            case IQ4_NL -> iq4nl(data, rows, cols);
            case IQ4_XS -> iq4xs(data, rows, cols);
            case TQ2_0 -> tq2(data, rows, cols);
            case MXFP4 -> mxfp4(data, rows, cols);
            case Q6_K, Q3_K, Q2_K -> sixteens(type, data, rows, cols);
            default -> null;
        };
        if (c == null) return null;
        if (c.layout().bits() == 8) return Int8Matrix.over(c);
        if (LutPacker.eligible(c)) return LutPacker.pack(c);
        return KernelChoice.of(c, true); // 5-bit codes: two table-lookup passes where a vector kernel runs
    }

    /** Codes, scales and offsets of a codebook matrix being assembled row by row. */
    private record Parts(CodeLayout layout, MemorySegment codes, MemorySegment scales, MemorySegment offsets, byte[] row) {
        static Parts of(int rows, int cols, int bits, int group, ScaleFormat format, boolean offsets) {
            CodeLayout layout = new CodeLayout(rows, cols, bits, group);
            Arena arena = Arena.ofAuto();
            return new Parts(layout, arena.allocate(layout.codeBytes(), 64), arena.allocate(layout.groups() * format.bytes(), 64),
                    offsets ? arena.allocate(layout.groups() * 2, 64) : null, new byte[layout.rowBytes()]);
        }

        void code(int col, int code) {
            CodeLayout.setCode(row, 0, col, layout.bits(), code);
        }

        /** What to copy from one ggml block: that of row {@code row}, number {@code block} in it, at byte {@code at}. */
        interface BlockCopy {
            void copy(int row, int block, long at);
        }

        /** Each block of {@code type} in {@code data}, row by row, each row stored when its blocks are copied. */
        void eachBlock(GgmlType type, MemorySegment data, BlockCopy copy) {
            int blocks = layout.cols() / type.blockSize;
            for (int r = 0; r < layout.rows(); r++) {
                for (int b = 0; b < blocks; b++) copy.copy(r, b, ((long) r * blocks + b) * type.blockBytes);
                endRow(r);
            }
        }

        /** Stores the row assembled so far as row r and clears it. */
        void endRow(int r) {
            MemorySegment.copy(row, 0, codes, ValueLayout.JAVA_BYTE, (long) r * row.length, row.length);
            java.util.Arrays.fill(row, (byte) 0);
        }

        CodebookMatrix matrix(float[] levels, ScaleFormat format) {
            return new CodebookMatrix(layout, levels, format, codes, scales, offsets);
        }
    }

    private static float[] steps(int count, int base) {
        float[] l = new float[count];
        for (int i = 0; i < count; i++) l[i] = base + i;
        return l;
    }

    private static int u8(MemorySegment data, long p) {
        return data.get(ValueLayout.JAVA_BYTE, p) & 0xFF;
    }

    /** Q5_0 (x = d·(q − 16)) and Q5_1 (x = d·q + m): 5-bit codes, the f16 scale (and offset) copied. */
    static CodebookMatrix q5(GgmlType type, MemorySegment data, int rows, int cols) {
        boolean offset = type == GgmlType.Q5_1;
        Parts parts = Parts.of(rows, cols, 5, 32, ScaleFormat.F16, offset);
        int blocks = cols / 32;
        parts.eachBlock(type, data, (r, b, p) -> {
            long group = (long) r * blocks + b;
            parts.scales().set(HALF, group * 2, data.get(HALF, p));
            if (offset) parts.offsets().set(HALF, group * 2, data.get(HALF, p + 2));
            long qh = p + (offset ? 4 : 2), qs = qh + 4;
            int high = data.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), qh);
            for (int j = 0; j < 16; j++) {
                int q = u8(data, qs + j);
                parts.code(b * 32 + j, (q & 0xF) | ((high >>> j) & 1) << 4);
                parts.code(b * 32 + j + 16, (q >> 4) | ((high >>> (j + 16)) & 1) << 4);
            }
        });
        return parts.matrix(steps(32, offset ? 0 : -16), ScaleFormat.F16);
    }

    /** Q5_K as asymmetric int5 in groups of 32: codes as they are, scale d·sc and offset −dmin·m rounded to f16 (as Q4_K). */
    static CodebookMatrix q5K(MemorySegment data, int rows, int cols) {
        Parts parts = Parts.of(rows, cols, 5, 32, ScaleFormat.F16, true);
        parts.eachBlock(GgmlType.Q5_K, data, (r, b, p) -> {
            float d = GgmlDequant.half(data, p), dmin = GgmlDequant.half(data, p + 2);
            for (int sub = 0; sub < 8; sub++) {
                long group = (long) r * (cols / 32) + b * 8 + sub;
                ScaleFormat.F16.write(parts.scales(), group, d * GgmlDequant.scaleK4(data, p + 4, sub, false));
                ScaleFormat.F16.write(parts.offsets(), group, -(dmin * GgmlDequant.scaleK4(data, p + 4, sub, true)));
                long ql = p + 48 + 32L * (sub / 2), qh = p + 16;
                for (int l = 0; l < 32; l++) {
                    int low = sub % 2 == 0 ? u8(data, ql + l) & 0xF : u8(data, ql + l) >> 4;
                    parts.code(b * 256 + sub * 32 + l, low | ((u8(data, qh + l) >> sub) & 1) << 4);
                }
            }
        });
        return parts.matrix(steps(32, 0), ScaleFormat.F16);
    }

    /** IQ4_NL: the codebook's 16 values as levels, the f16 scale per 32 copied, codes as they are. */
    static CodebookMatrix iq4nl(MemorySegment data, int rows, int cols) {
        Parts parts = Parts.of(rows, cols, 4, 32, ScaleFormat.F16, false);
        int blocks = cols / 32;
        parts.eachBlock(GgmlType.IQ4_NL, data, (r, b, p) -> {
            parts.scales().set(HALF, ((long) r * blocks + b) * 2, data.get(HALF, p));
            for (int j = 0; j < 16; j++) {
                int q = u8(data, p + 2 + j);
                parts.code(b * 32 + j, q & 0xF);
                parts.code(b * 32 + j + 16, q >> 4);
            }
        });
        return parts.matrix(iq4Levels(), ScaleFormat.F16);
    }

    private static float[] iq4Levels() {
        float[] l = new float[16];
        for (int i = 0; i < 16; i++) l[i] = GgmlDequant.IQ4_NL_VALUES[i];
        return l;
    }

    /** IQ4_XS: IQ4_NL's codebook per 32 values, scale d·(ls − 32) rounded to f16 (as Q4_K's). */
    static CodebookMatrix iq4xs(MemorySegment data, int rows, int cols) {
        Parts parts = Parts.of(rows, cols, 4, 32, ScaleFormat.F16, false);
        parts.eachBlock(GgmlType.IQ4_XS, data, (r, b, p) -> {
            float d = GgmlDequant.half(data, p);
            int scalesH = data.get(HALF, p + 2) & 0xFFFF;
            for (int ib = 0; ib < 8; ib++) {
                int ls = ((u8(data, p + 4 + ib / 2) >> (4 * (ib % 2))) & 0xF) | (((scalesH >> (2 * ib)) & 3) << 4);
                ScaleFormat.F16.write(parts.scales(), (long) r * (cols / 32) + b * 8 + ib, d * (ls - 32));
                long qs = p + 8 + 16L * ib;
                for (int j = 0; j < 16; j++) {
                    int q = u8(data, qs + j);
                    parts.code(b * 256 + ib * 32 + j, q & 0xF);
                    parts.code(b * 256 + ib * 32 + j + 16, q >> 4);
                }
            }
        });
        return parts.matrix(iq4Levels(), ScaleFormat.F16);
    }

    /** TQ2_0: 2-bit codes q with levels q − 1 and the f16 scale of each 256 values, copied. */
    static CodebookMatrix tq2(MemorySegment data, int rows, int cols) {
        Parts parts = Parts.of(rows, cols, 2, 256, ScaleFormat.F16, false);
        int superBlocks = cols / 256;
        parts.eachBlock(GgmlType.TQ2_0, data, (r, b, p) -> {
            parts.scales().set(HALF, ((long) r * superBlocks + b) * 2, data.get(HALF, p + 64));
            int k = b * 256;
            for (int j = 0; j < 64; j += 32) {
                for (int l = 0; l < 4; l++) {
                    for (int m = 0; m < 32; m++) parts.code(k++, (u8(data, p + j + m) >> (2 * l)) & 3);
                }
            }
        });
        return parts.matrix(steps(4, -1), ScaleFormat.F16);
    }

    /** Q6_K, Q3_K or Q2_K as 8-bit codes (level = code − 128 = the block's integer) with f16 scales (and offsets) per 16. */
    static CodebookMatrix sixteens(GgmlType type, MemorySegment data, int rows, int cols) {
        Parts parts = Parts.of(rows, cols, 8, 16, ScaleFormat.F16, type == GgmlType.Q2_K);
        int[] q = new int[256];
        float[] scale = new float[16], offset = new float[16];
        parts.eachBlock(type, data, (r, b, p) -> {
            switch (type) {
                case Q6_K -> q6KBlock(data, p, q, scale);
                case Q3_K -> q3KBlock(data, p, q, scale);
                default -> q2KBlock(data, p, q, scale, offset);
            }
            long group = (long) r * (cols / 16) + b * 16L;
            for (int j = 0; j < 16; j++) {
                ScaleFormat.F16.write(parts.scales(), group + j, scale[j]);
                if (type == GgmlType.Q2_K) ScaleFormat.F16.write(parts.offsets(), group + j, offset[j]);
            }
            for (int v = 0; v < 256; v++) parts.code(b * 256 + v, q[v] + 128);
        });
        return parts.matrix(steps(256, -128), ScaleFormat.F16);
    }

    /** Q6_K's integers (−32..31) in value order and d·sc per 16, as ggml's dequantize_row_q6_K orders them. */
    private static void q6KBlock(MemorySegment data, long p, int[] q, float[] scale) {
        float d = GgmlDequant.half(data, p + 208);
        for (int j = 0; j < 16; j++) scale[j] = d * data.get(ValueLayout.JAVA_BYTE, p + 192 + j);
        for (int h = 0; h < 2; h++) {
            long ql = p + 64L * h, qh = p + 128 + 32L * h;
            for (int l = 0; l < 32; l++) {
                int high = u8(data, qh + l);
                q[128 * h + l] = ((u8(data, ql + l) & 0xF) | (high & 3) << 4) - 32;
                q[128 * h + l + 32] = ((u8(data, ql + l + 32) & 0xF) | ((high >> 2) & 3) << 4) - 32;
                q[128 * h + l + 64] = ((u8(data, ql + l) >> 4) | ((high >> 4) & 3) << 4) - 32;
                q[128 * h + l + 96] = ((u8(data, ql + l + 32) >> 4) | ((high >> 6) & 3) << 4) - 32;
            }
        }
    }

    /** Q3_K's integers (−4..3) in value order and d·(sc − 32) per 16 (dequantize_row_q3_K's order). */
    private static void q3KBlock(MemorySegment data, long p, int[] q, float[] scale) {
        float d = GgmlDequant.half(data, p + 108);
        int[] sc = GgmlDequant.q3Scales(data, p + 96);
        for (int j = 0; j < 16; j++) scale[j] = d * (sc[j] - 32);
        int k = 0;
        for (int h = 0; h < 2; h++) {
            for (int shift = 0; shift < 4; shift++) {
                for (int half = 0; half < 32; half += 16) {
                    for (int l = 0; l < 16; l++) {
                        int low = (u8(data, p + 32 + 32L * h + half + l) >> (2 * shift)) & 3;
                        boolean high = (u8(data, p + half + l) & (1 << (4 * h + shift))) != 0;
                        q[k++] = low - (high ? 0 : 4);
                    }
                }
            }
        }
    }

    /** Q2_K's codes (0..3) in value order, d·sc and −dmin·m per 16 (dequantize_row_q2_K's order). */
    private static void q2KBlock(MemorySegment data, long p, int[] q, float[] scale, float[] offset) {
        float d = GgmlDequant.half(data, p + 80), dmin = GgmlDequant.half(data, p + 82);
        for (int j = 0; j < 16; j++) {
            int sc = u8(data, p + j);
            scale[j] = d * (sc & 0xF);
            offset[j] = -(dmin * (sc >> 4));
        }
        int k = 0;
        for (int h = 0; h < 2; h++) {
            for (int shift = 0; shift < 4; shift++) {
                for (int half = 0; half < 32; half += 16) {
                    for (int l = 0; l < 16; l++) q[k++] = (u8(data, p + 16 + 32L * h + half + l) >> (2 * shift)) & 3;
                }
            }
        }
    }

    /** MXFP4: E2M1 codes as they are, the E8M0 byte as the scale (ggml's doubled values and halved scale cancel). */
    static CodebookMatrix mxfp4(MemorySegment data, int rows, int cols) {
        Parts parts = Parts.of(rows, cols, 4, 32, ScaleFormat.E8M0, false);
        int blocks = cols / 32;
        parts.eachBlock(GgmlType.MXFP4, data, (r, b, p) -> {
            parts.scales().set(ValueLayout.JAVA_BYTE, (long) r * blocks + b, data.get(ValueLayout.JAVA_BYTE, p));
            for (int j = 0; j < 16; j++) {
                int q = u8(data, p + 1 + j);
                parts.code(b * 32 + j, q & 0xF);
                parts.code(b * 32 + j + 16, q >> 4);
            }
        });
        float[] levels = new float[16];
        for (int i = 0; i < 16; i++) levels[i] = GgmlDequant.MXFP4_VALUES[i] / 2f;
        return parts.matrix(levels, ScaleFormat.E8M0);
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
