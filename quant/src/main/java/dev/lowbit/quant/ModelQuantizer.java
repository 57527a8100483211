package dev.lowbit.quant;

import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.format.LowbitFile;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.kernels.CodebookMatrix;
import dev.lowbit.kernels.F16Matrix;
import dev.lowbit.kernels.Int8Matrix;
import dev.lowbit.kernels.LutMatrix;
import dev.lowbit.kernels.LutPacker;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.grid.IntegerGrid;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Applies a {@link QuantRecipe} to every tensor of a model. */
public final class ModelQuantizer {
    private ModelQuantizer() {}

    public record Result(LlamaWeights weights, List<TensorReport> report) {}

    public static Result quantize(LlamaWeights weights, QuantRecipe recipe, WorkerPool pool, Progress progress) {
        NamedWeights named = NamedWeights.of(weights);
        long total = 0;
        for (WeightMatrix m : named.matrices().values()) total += (long) m.rows() * m.cols();
        Quantizer main = new RtnQuantizer(recipe.grid(), recipe.groupSize(), recipe.search());
        Quantizer int8 = new RtnQuantizer(new IntegerGrid(8, true), 32, false);
        Map<String, WeightMatrix> out = new LinkedHashMap<>();
        List<TensorReport> report = new ArrayList<>();
        long done = 0;
        for (Map.Entry<String, WeightMatrix> e : named.matrices().entrySet()) {
            String name = e.getKey();
            WeightMatrix m = LowbitFile.unwrap(e.getValue());
            progress.update(done, total, name);
            QuantRecipe.Action action = recipe.actionFor(name);
            TensorReport line;
            switch (action) {
                case QUANTIZE, INT8 -> {
                    Quantizer q = action == QuantRecipe.Action.INT8 ? int8 : main;
                    QuantizedTensor t = q.quantize(m, pool);
                    WeightMatrix stored = t.matrix();
                    if (recipe.tableLookup() && action == QuantRecipe.Action.QUANTIZE && stored instanceof CodebookMatrix c && LutPacker.eligible(c)) {
                        stored = LutPacker.pack(c);
                    } else if (stored instanceof CodebookMatrix c && Int8Matrix.over(c) instanceof Int8Matrix fast) {
                        stored = fast;
                    }
                    out.put(name, stored);
                    line = new TensorReport(name, m.rows(), m.cols(), q.grid().name() + "/" + groupLabel(recipe, action, m)
                            + (stored instanceof LutMatrix ? " lut" : ""), bitsPerWeight(stored), t.relativeRmsError());
                }
                case F16 -> {
                    float[] all = new float[Math.multiplyExact(m.rows(), m.cols())];
                    for (int r = 0; r < m.rows(); r++) m.readRow(r, all, r * m.cols());
                    F16Matrix h = F16Matrix.of(all, m.rows(), m.cols());
                    out.put(name, h);
                    line = new TensorReport(name, m.rows(), m.cols(), "f16", 16, relativeError(m, h));
                }
                default -> {
                    out.put(name, m);
                    line = new TensorReport(name, m.rows(), m.cols(), m.typeName(), 8.0 * m.byteSize() / ((long) m.rows() * m.cols()), 0);
                }
            }
            report.add(line);
            done += (long) m.rows() * m.cols();
        }
        progress.update(total, total, "");
        LlamaWeights result = new NamedWeights(out, named.vectors()).toWeights(weights.layers().size());
        return new Result(result, report);
    }

    /** "row" when the recipe asks for whole rows, else the group size as stored ("g32"; at most the row width). */
    private static String groupLabel(QuantRecipe recipe, QuantRecipe.Action action, WeightMatrix m) {
        int g = action == QuantRecipe.Action.INT8 ? 32 : recipe.groupSize();
        return g == 0 ? "row" : "g" + Math.min(g, m.cols());
    }

    private static double bitsPerWeight(WeightMatrix m) {
        return 8.0 * m.byteSize() / ((long) m.rows() * m.cols());
    }

    private static double relativeError(WeightMatrix a, WeightMatrix b) {
        float[] ra = new float[a.cols()], rb = new float[b.cols()];
        double err = 0, norm = 0;
        for (int r = 0; r < a.rows(); r++) {
            a.readRow(r, ra, 0);
            b.readRow(r, rb, 0);
            for (int c = 0; c < ra.length; c++) {
                err += (double) (ra[c] - rb[c]) * (ra[c] - rb[c]);
                norm += (double) ra[c] * ra[c];
            }
        }
        return norm == 0 ? 0 : Math.sqrt(err / norm);
    }
}
