package dev.lowbit.engine;

import dev.lowbit.engine.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * How a {@code .lowbit} file was quantized, as its header records it (docs/FORMAT.md, {@code quantization}): the recipe
 * and, by name, the records of the methods that ran (the per-block choices of {@code awq}, the settings of {@code gptq}
 * and {@code discquant}, kept as the JSON they are written as). Informative: nothing needs it to run the model.
 *
 * @param bits      the grid's bits per code (0 when not recorded)
 * @param groupSize weights per scale (0: one scale per row, or not recorded)
 */
public record QuantizationInfo(String method, String grid, int bits, int groupSize, double bitsPerWeight, String embeddings,
                               List<String> keep, String source, String createdBy, JsonObject methodRecords) {
    /** Method records the header may hold beside the recipe. */
    private static final List<String> METHODS = List.of("awq", "gptq", "discquant");

    /** Not a quantized file (every format but {@code .lowbit}). */
    public static final QuantizationInfo NONE = new QuantizationInfo(null, null, 0, 0, 0, null, List.of(), null, null, null);

    public QuantizationInfo {
        keep = List.copyOf(keep);
    }

    public boolean present() {
        return method != null;
    }

    /** The header's {@code quantization} object; absent keys read as null or 0. */
    public static QuantizationInfo fromHeader(JsonObject q) {
        List<String> keep = new ArrayList<>();
        if (q.has("keep")) for (Object k : q.list("keep")) keep.add(String.valueOf(k));
        java.util.Map<String, Object> records = new java.util.LinkedHashMap<>();
        for (String m : METHODS) if (q.has(m)) records.put(m, q.map().get(m));
        return new QuantizationInfo(text(q, "method"), text(q, "grid"), q.has("bits") ? q.integer("bits", 0, 64) : 0,
                q.has("group_size") ? q.integer("group_size", 0, 1 << 30) : 0, q.has("bits_per_weight") ? q.number("bits_per_weight") : 0,
                text(q, "embeddings"), keep, text(q, "source"), text(q, "created_by"), records.isEmpty() ? null : JsonObject.of(records, q.path()));
    }

    private static String text(JsonObject q, String key) {
        return q.has(key) && q.map().get(key) != null ? String.valueOf(q.map().get(key)) : null;
    }

    /** One line for {@code lowbit inspect}: the recipe, then each method's record one level deep (lists by their length). */
    public String describe() {
        if (!present()) return "none";
        StringBuilder s = new StringBuilder("method=").append(method);
        if (grid != null) s.append(", grid=").append(grid).append(", bits=").append(bits);
        s.append(", group_size=").append(groupSize);
        if (bitsPerWeight > 0) s.append(", bits_per_weight=").append(bitsPerWeight);
        if (embeddings != null) s.append(", embeddings=").append(embeddings);
        if (!keep.isEmpty()) s.append(", keep=").append(keep);
        if (source != null) s.append(", source=").append(source);
        if (createdBy != null) s.append(", created_by=").append(createdBy);
        if (methodRecords != null) {
            methodRecords.map().forEach((name, record) -> {
                s.append(", ").append(name).append("={");
                if (record instanceof java.util.Map<?, ?> m) {
                    StringBuilder inner = new StringBuilder();
                    m.forEach((k, v) -> inner.append(inner.isEmpty() ? "" : ", ").append(k).append('=')
                            .append(v instanceof List<?> l ? "[" + l.size() + " entries]" : v));
                    s.append(inner);
                }
                s.append('}');
            });
        }
        return s.toString();
    }
}
