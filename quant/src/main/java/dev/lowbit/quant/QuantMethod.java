package dev.lowbit.quant;

/**
 * How weights are rounded: RTN alone, AWQ's scales and clips then RTN, or a data-dependent rounding (GPTQ,
 * DiscQuant), optionally on weights AWQ has transformed first ({@code awq+gptq}, {@code awq+discquant}).
 */
public enum QuantMethod {
    RTN("rtn"), AWQ("awq"), GPTQ("gptq"), DISCQUANT("discquant"), AWQ_GPTQ("awq+gptq"), AWQ_DISCQUANT("awq+discquant");

    private final String label;

    QuantMethod(String label) {
        this.label = label;
    }

    public String label() {
        return label;
    }

    public static QuantMethod parse(String s) {
        for (QuantMethod m : values()) if (m.label.equals(s)) return m;
        throw new IllegalArgumentException("unknown --method " + s + " (available: rtn, awq, gptq, discquant, awq+gptq, awq+discquant)");
    }

    /** Whether AWQ's transformation runs first. */
    public boolean awq() {
        return this == AWQ || this == AWQ_GPTQ || this == AWQ_DISCQUANT;
    }

    public boolean gptq() {
        return this == GPTQ || this == AWQ_GPTQ;
    }

    public boolean discQuant() {
        return this == DISCQUANT || this == AWQ_DISCQUANT;
    }

    public boolean needsCalibration() {
        return this != RTN;
    }
}
