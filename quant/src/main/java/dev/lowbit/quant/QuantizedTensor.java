package dev.lowbit.quant;

import dev.lowbit.kernels.WeightMatrix;

/** A quantized (or kept) matrix and how far it is from the original: ‖W − Ŵ‖ / ‖W‖. */
public record QuantizedTensor(WeightMatrix matrix, double relativeRmsError) {}
