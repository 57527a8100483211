package dev.lowbit.quant;

/** One line of the quantization summary. */
public record TensorReport(String name, int rows, int cols, String storage, double bitsPerWeight, double relativeRmsError) {
    public long parameters() {
        return (long) rows * cols;
    }
}
