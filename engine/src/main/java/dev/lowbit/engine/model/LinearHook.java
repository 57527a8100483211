package dev.lowbit.engine.model;

/**
 * Observes the input of every linear layer (for calibration: AWQ, DiscQuant).
 *
 * <p>{@code input} holds {@code batch} rows of {@code cols} floats; it is the model's own buffer, valid only
 * during the call: copy what you keep. {@code layer} is -1 for the classifier.
 */
@FunctionalInterface
public interface LinearHook {
    void observe(int layer, LinearKind kind, float[] input, int batch, int cols);
}
