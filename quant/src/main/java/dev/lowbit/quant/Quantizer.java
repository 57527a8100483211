package dev.lowbit.quant;

import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.grid.Grid;

/** Turns one full-precision matrix into a low-bit one on some {@link Grid} (RTN now; AWQ and DiscQuant next). */
public interface Quantizer {
    Grid grid();

    QuantizedTensor quantize(WeightMatrix w, WorkerPool pool);
}
