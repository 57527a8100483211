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

    /**
     * Rows {@code from .. from+count)} of this matrix as a tensor of its own (rows are whole blocks in every ggml type):
     * Phi-3's fused q/k/v and gate/up, split.
     */
    public GgufTensorInfo rows(String newName, long from, long count) {
        if (shape.length != 2 || from < 0 || count <= 0 || from + count > shape[1]) {
            throw new IllegalArgumentException("rows " + from + ".." + (from + count) + " of tensor " + name + " (" + shapeText() + ")");
        }
        long rowBytes = bytes / shape[1];
        return new GgufTensorInfo(newName, new long[] {shape[0], count}, type, offset + from * rowBytes, count * rowBytes);
    }
}
