package dev.lowbit.engine.format.gguf;

/**
 * ggml tensor element types: id as stored in GGUF, values per block and bytes per block. {@code readable} types
 * are the ones lowbit can dequantize; the others are named so the error can say which type a file uses.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, true),
    Q5_0(6, 32, 22, true),
    Q5_1(7, 32, 24, true),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, true),
    Q3_K(11, 256, 110, true),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, true),
    Q6_K(14, 256, 210, true),
    Q8_K(15, 256, 292, false),
    IQ2_XXS(16, 256, 66, false),
    IQ2_XS(17, 256, 74, false),
    IQ3_XXS(18, 256, 98, false),
    IQ1_S(19, 256, 50, false),
    IQ4_NL(20, 32, 18, true),
    IQ3_S(21, 256, 110, false),
    IQ2_S(22, 256, 82, false),
    IQ4_XS(23, 256, 136, true),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    IQ1_M(29, 256, 56, false),
    BF16(30, 1, 2, true),
    TQ1_0(34, 256, 54, true),
    TQ2_0(35, 256, 66, true),
    MXFP4(39, 32, 17, true);

    public final int id;
    public final int blockSize;
    public final int blockBytes;
    public final boolean readable;

    GgmlType(int id, int blockSize, int blockBytes, boolean readable) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.readable = readable;
    }

    /** The type with this id, or null. */
    public static GgmlType of(long id) {
        for (GgmlType t : values()) if (t.id == id) return t;
        return null;
    }

    /** Bytes for {@code count} values (a whole number of blocks). */
    public long bytesFor(long count) {
        return count / blockSize * blockBytes;
    }
}
