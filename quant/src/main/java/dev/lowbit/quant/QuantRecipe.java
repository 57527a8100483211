package dev.lowbit.quant;

import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.quant.grid.Grid;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * What gets quantized and how: every linear layer on {@code grid} with {@code groupSize} (0 = whole row),
 * the embedding and classifier at {@code embeddings} precision, and tensors whose name matches a
 * {@code keep} pattern (a regular expression, or a glob with {@code *}) left at full precision. With
 * {@code tableLookup}, matrices the table-lookup kernel can run (1, 2, 4 bits) are stored in its layout.
 */
public record QuantRecipe(String method, Grid grid, int groupSize, boolean search, TensorPrecision embeddings, List<String> keep,
                          boolean tableLookup) {

    /** A recipe that stores what the table-lookup kernel can run in its layout. */
    public QuantRecipe(String method, Grid grid, int groupSize, boolean search, TensorPrecision embeddings, List<String> keep) {
        this(method, grid, groupSize, search, embeddings, keep, true);
    }

    public QuantRecipe {
        keep = List.copyOf(keep);
        if (groupSize < 0) throw new IllegalArgumentException("group size must be positive or 0 (whole row)");
    }

    /** This recipe with the embedding and classifier stored at {@code precision}. */
    public QuantRecipe withEmbeddings(TensorPrecision precision) {
        return new QuantRecipe(method, grid, groupSize, search, precision, keep, tableLookup);
    }

    /** This recipe with groups of {@code groupSize} inputs (0 = whole row). */
    public QuantRecipe withGroup(int groupSize) {
        return new QuantRecipe(method, grid, groupSize, search, embeddings, keep, tableLookup);
    }

    /** Plan for one tensor. */
    public enum Action { QUANTIZE, KEEP, INT8, INT6, F16 }

    public Action actionFor(String name) {
        for (String pattern : keep) if (matches(pattern, name)) return Action.KEEP;
        if (NamedWeights.isEmbeddingOrClassifier(name)) {
            return switch (embeddings) {
                case INT8 -> Action.INT8;
                case INT6 -> Action.INT6;
                case F16 -> Action.F16;
                case F32 -> Action.KEEP;
            };
        }
        return Action.QUANTIZE;
    }

    static boolean matches(String pattern, String name) {
        if (pattern.contains("*") && !pattern.contains(".*")) {
            return Pattern.matches(Pattern.quote(pattern).replace("*", "\\E.*\\Q"), name);
        }
        return Pattern.compile(pattern).matcher(name).find();
    }

    /** As recorded in the {@code .lowbit} header. */
    public Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("method", method);
        m.put("grid", grid.name());
        m.put("bits", grid.bits());
        m.put("group_size", groupSize);
        m.put("bits_per_weight", grid.bitsPerWeight(groupSize == 0 ? Integer.MAX_VALUE : groupSize));
        m.put("clip_search", search);
        m.put("embeddings", embeddings.name().toLowerCase());
        m.put("keep", keep);
        m.put("layout", tableLookup ? "lut64s where possible" : "rows-lsb");
        return m;
    }
}
