package dev.lowbit.quant;

/** How the token embedding and the classifier are stored (they are sensitive and read one row at a time). */
public enum TensorPrecision {
    /** 8-bit symmetric integers, groups of 32 (8.5 bits per weight). */
    INT8,
    /** IEEE half precision. */
    F16,
    /** Unchanged (fp32). */
    F32;

    public static TensorPrecision parse(String s) {
        return switch (s) {
            case "8", "int8" -> INT8;
            case "16", "f16" -> F16;
            case "32", "f32" -> F32;
            default -> throw new IllegalArgumentException("precision must be 8, 16 or 32, got '" + s + "'");
        };
    }
}
