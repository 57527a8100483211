package dev.lowbit.engine;

import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.tokenizer.Tokenizer;

/**
 * A runnable model with its tokenizer. {@code quantization} is what a {@code .lowbit} file records of how it was made
 * ({@link QuantizationInfo#NONE} for other formats); {@code chatTemplate} the Jinja template the model ships, or null.
 * Closing it unmaps the files and stops the worker threads.
 */
public record LoadedModel(LlamaModel model, Tokenizer tokenizer, String format, QuantizationInfo quantization,
                          String chatTemplate, AutoCloseable resources) implements AutoCloseable {
    @Override
    public void close() {
        try {
            resources.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            model.pool().close();
        }
    }
}
