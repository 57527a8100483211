package dev.lowbit.quant.grid;

import java.util.List;

/** The grids by name, as {@code --grid} accepts them. */
public final class Grids {
    public static final List<String> NAMES = List.of("int", "e2m1", "e3m0", "e2m2", "e3m2", "e4m3", "e5m2", "mxfp4", "nf4");

    private Grids() {}

    /**
     * @param bits      for {@code int} only (1–8)
     * @param symmetric for {@code int} only
     */
    public static Grid of(String name, int bits, boolean symmetric) {
        return switch (name) {
            case "int" -> new IntegerGrid(bits, symmetric);
            case "e2m1", "fp4" -> new MinifloatGrid(2, 1, MinifloatGrid.Reserved.NONE);
            case "e3m0" -> new MinifloatGrid(3, 0, MinifloatGrid.Reserved.NONE);
            case "e2m2" -> new MinifloatGrid(2, 2, MinifloatGrid.Reserved.NONE);
            case "e3m2" -> new MinifloatGrid(3, 2, MinifloatGrid.Reserved.NONE);
            case "e4m3" -> new MinifloatGrid(4, 3, MinifloatGrid.Reserved.ALL_ONES_NAN);
            case "e5m2" -> new MinifloatGrid(5, 2, MinifloatGrid.Reserved.IEEE);
            case "mxfp4" -> MxGrid.mxfp4();
            case "nf4" -> CodebookGrid.nf4();
            default -> throw new IllegalArgumentException("unknown grid '" + name + "'; known: " + String.join(", ", NAMES)
                    + ", or codebook:v1,v2,...");
        };
    }

    /** {@code codebook:-1,-0.5,0,0.5,1}: an explicit list of levels. */
    public static Grid parse(String spec, int bits, boolean symmetric) {
        if (spec.startsWith("codebook:")) {
            String[] parts = spec.substring("codebook:".length()).split(",");
            float[] levels = new float[parts.length];
            for (int i = 0; i < parts.length; i++) {
                try {
                    levels[i] = Float.parseFloat(parts[i].trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("codebook level '" + parts[i] + "' is not a number");
                }
            }
            return new CodebookGrid("codebook", levels);
        }
        return of(spec, bits, symmetric);
    }
}
