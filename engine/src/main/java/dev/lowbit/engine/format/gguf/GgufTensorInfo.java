package dev.lowbit.engine.format.gguf;

/**
 * One tensor of a GGUF file: {@code shape[0]} is the fastest-varying dimension (a matrix's columns),
 * {@code offset} is absolute in the file and {@code bytes} its validated size.
 */
public record GgufTensorInfo(String name, long[] shape, GgmlType type, long offset, long bytes) {
    public long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    public String shapeText() {
        StringBuilder sb = new StringBuilder();
        for (int i = shape.length - 1; i >= 0; i--) sb.append(sb.isEmpty() ? "" : "x").append(shape[i]);
        return sb.toString();
    }
}
