package dev.lowbit.quant;

import dev.lowbit.quant.grid.Grids;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Named recipes, like llama.cpp's quantization types: each runs on the table-lookup kernel and keeps the
 * token embedding and classifier at int6 (llama.cpp's types keep the classifier at Q6_K, 6.56 bits). Bits per
 * weight are those of the linear layers as stored.
 */
public final class QuantPresets {
    private QuantPresets() {}

    private static final Map<String, QuantRecipe> PRESETS = new LinkedHashMap<>();

    static {
        put("int4", "int", 4, true, 32);        // 4.5 bits/weight, like Q4_0
        put("int4-asym", "int", 4, false, 32);  // 5.0
        put("int3", "int", 3, false, 64);       // 3.5, on the kernel as a 2-bit and a 1-bit pass
        put("int2", "int", 2, false, 64);       // 2.5
        put("int1", "int", 1, false, 64);       // 1.5
        put("e2m1", "e2m1", 4, false, 32);      // 4.5
        put("nf4", "nf4", 4, false, 32);        // 4.5
        put("mxfp4", "mxfp4", 4, false, 32);    // 4.25
    }

    private static void put(String name, String grid, int bits, boolean symmetric, int group) {
        PRESETS.put(name, new QuantRecipe("rtn", Grids.of(grid, bits, symmetric), group, false, TensorPrecision.INT6, List.of()));
    }

    public static List<String> names() {
        return List.copyOf(PRESETS.keySet());
    }

    /**
     * The preset's recipe, or null for {@code f32} (no quantization). {@code NAME/gN} is the preset with groups of
     * N inputs ({@code /grow}: one group per row), e.g. {@code nf4/g64}, bitsandbytes' NF4 block size.
     */
    public static QuantRecipe recipe(String name) {
        if (name.equals("f32")) return null;
        int slash = name.indexOf('/');
        QuantRecipe r = PRESETS.get(slash < 0 ? name : name.substring(0, slash));
        if (r == null) throw new IllegalArgumentException("unknown format '" + name + "' (known: f32, " + String.join(", ", names()) + ", each optionally /gN)");
        return slash < 0 ? r : r.withGroup(group(name, name.substring(slash + 1)));
    }

    private static int group(String name, String suffix) {
        if (suffix.equals("grow")) return 0;
        try {
            if (suffix.startsWith("g")) {
                int g = Integer.parseInt(suffix.substring(1));
                if (g > 0) return g;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new IllegalArgumentException("format '" + name + "': after '/' give gN with N > 0 inputs per group, or grow");
    }
}
