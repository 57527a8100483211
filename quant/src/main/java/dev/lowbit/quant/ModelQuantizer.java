package dev.lowbit.quant;

import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.format.LowbitFile;
import dev.lowbit.engine.model.LayerWeights;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.kernels.CodebookMatrix;
import dev.lowbit.kernels.F16Matrix;
import dev.lowbit.kernels.LutMatrix;
import dev.lowbit.kernels.LutPacker;
import dev.lowbit.kernels.KernelChoice;
import dev.lowbit.kernels.SplitLutMatrix;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.grid.IntegerGrid;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Applies a {@link QuantRecipe} to every tensor of a model. A session can also take the decoder blocks one at a
 * time ({@link #layer}), so that a transformation such as AWQ holds only one block in full precision at once.
 */
public final class ModelQuantizer {
    private final QuantRecipe recipe;
    private final WorkerPool pool;
    private final Progress progress;
    private final long total;
    private final Quantizer main;
    /** Group size of the int8 and int6 embedding and classifier. */
    private static final int EMBEDDING_GROUP = 32;
    private final Quantizer int8;
    private final Quantizer int6;
    private final Map<String, TensorReport> report = new LinkedHashMap<>();
    private long done;

    public record Result(LlamaWeights weights, List<TensorReport> report) {}

    /** A session for {@code model}'s shapes (the progress total counts all its matrices). */
    public ModelQuantizer(LlamaWeights model, QuantRecipe recipe, WorkerPool pool, Progress progress) {
        this.recipe = recipe;
        this.pool = pool;
        this.progress = progress;
        long n = 0;
        for (WeightMatrix m : NamedWeights.of(model).matrices().values()) n += (long) m.rows() * m.cols();
        this.total = n;
        this.main = new RtnQuantizer(recipe.grid(), recipe.groupSize(), recipe.search());
        this.int8 = new RtnQuantizer(new IntegerGrid(8, true), EMBEDDING_GROUP, false);
        this.int6 = new RtnQuantizer(new IntegerGrid(6, true), EMBEDDING_GROUP, false);
    }

    public static Result quantize(LlamaWeights weights, QuantRecipe recipe, WorkerPool pool, Progress progress) {
        ModelQuantizer q = new ModelQuantizer(weights, recipe, pool, progress);
        List<LayerWeights> layers = new ArrayList<>();
        for (int l = 0; l < weights.layers().size(); l++) layers.add(q.layer(l, weights.layers().get(l)));
        return q.finish(weights, layers);
    }

    /** Block {@code l} as the recipe stores it. */
    public LayerWeights layer(int l, LayerWeights w) {
        return layer(l, w, null);
    }

    /**
     * Block {@code l} with its linear layers rounded already by a data-dependent method (GPTQ, DiscQuant), in the
     * order q, k, v, o, gate, up, down; each is stored with the codes given, unless the recipe keeps it.
     */
    public LayerWeights layer(int l, LayerWeights w, GroupCodes[] rounded) {
        NamedWeights named = NamedWeights.ofLayer(l, w);
        Map<String, WeightMatrix> out = new LinkedHashMap<>();
        named.matrices().forEach((name, m) -> {
            int i = rounded == null ? -1 : LINEARS.indexOf(name.substring(name.indexOf('.', 4) + 1));
            out.put(name, tensor(name, m, i < 0 ? null : rounded[i]));
        });
        return new NamedWeights(out, named.vectors()).layer(l);
    }

    /** The block's linear layers by their tensor names, in the order of {@code rounded}. */
    private static final List<String> LINEARS = List.of("attn_q", "attn_k", "attn_v", "attn_output", "ffn_gate", "ffn_up", "ffn_down");

    /** The model with the given (already stored) blocks and its embedding and classifier stored by the recipe. */
    public Result finish(LlamaWeights model, List<LayerWeights> layers) {
        WeightMatrix embedding = tensor("token_embd", model.tokenEmbedding(), null);
        WeightMatrix classifier = model.tiedClassifier() ? embedding : tensor("output", model.classifier(), null);
        progress.update(total, total, "");
        LlamaWeights result = new LlamaWeights(embedding, layers, model.finalNorm(), classifier);
        List<TensorReport> lines = new ArrayList<>();
        for (String name : NamedWeights.of(result).matrices().keySet()) lines.add(report.get(name));
        return new Result(result, lines);
    }

    /** One tensor, by the recipe's action for its name; {@code rounded}: its codes, when a method chose them. */
    private WeightMatrix tensor(String name, WeightMatrix source, GroupCodes rounded) {
        WeightMatrix m = LowbitFile.unwrap(source);
        progress.update(done, total, name);
        QuantRecipe.Action action = recipe.actionFor(name);
        WeightMatrix stored;
        TensorReport line;
        switch (action) {
            case QUANTIZE, INT8, INT6 -> {
                Quantizer q = switch (action) {
                    case INT8 -> int8;
                    case INT6 -> int6;
                    default -> main;
                };
                QuantizedTensor t = rounded != null && action == QuantRecipe.Action.QUANTIZE ? rounded.toTensor(m.readAll()) : q.quantize(m, pool);
                stored = t.matrix();
                if (recipe.tableLookup() && action == QuantRecipe.Action.QUANTIZE && stored instanceof CodebookMatrix c && LutPacker.eligible(c)) {
                    stored = LutPacker.pack(c, pool);
                } else if (stored instanceof CodebookMatrix c) {
                    stored = KernelChoice.of(c, recipe.tableLookup());
                }
                line = new TensorReport(name, m.rows(), m.cols(), q.grid().name() + "/" + groupLabel(action, m)
                        + (stored instanceof LutMatrix ? " lut" : stored instanceof SplitLutMatrix split ? " lut " + split.passes() : ""), bitsPerWeight(stored),
                        t.relativeRmsError());
            }
            case F16 -> {
                stored = F16Matrix.of(m.readAll(), m.rows(), m.cols());
                line = new TensorReport(name, m.rows(), m.cols(), "f16", 16, relativeError(m, stored));
            }
            default -> {
                stored = m;
                line = new TensorReport(name, m.rows(), m.cols(), m.typeName(), bitsPerWeight(m), 0);
            }
        }
        report.put(name, line);
        done += (long) m.rows() * m.cols();
        return stored;
    }

    /** "row" when the recipe asks for whole rows, else the group size as stored ("g32"; at most the row width). */
    private String groupLabel(QuantRecipe.Action action, WeightMatrix m) {
        int g = action == QuantRecipe.Action.INT8 || action == QuantRecipe.Action.INT6 ? EMBEDDING_GROUP : recipe.groupSize();
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
