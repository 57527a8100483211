package dev.lowbit.quant;

/** How the token embedding and the classifier are stored (they are sensitive and read one row at a time). */
public enum TensorPrecision {
    /** 8-bit symmetric integers, groups of 32 (8.5 bits per weight). */
    INT8,
    /**
     * 6-bit symmetric integers, groups of 32 (6.5 bits per weight): about what llama.cpp stores its classifier
     * in (Q6_K, 6.56), and on the table-lookup kernel as a 4-bit and a 2-bit pass.
     */
    INT6,
    /** IEEE half precision. */
    F16,
    /** Unchanged (fp32). */
    F32;

    public static TensorPrecision parse(String s) {
        return switch (s) {
            case "8", "int8" -> INT8;
            case "6", "int6" -> INT6;
            case "16", "f16" -> F16;
            case "32", "f32" -> F32;
            default -> throw new IllegalArgumentException("precision must be 6, 8, 16 or 32, got '" + s + "'");
        };
    }
}
