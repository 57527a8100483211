package dev.lowbit.engine;

import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.tokenizer.Tokenizer;

/** A runnable model with its tokenizer; closing it unmaps the files and stops the worker threads. */
public record LoadedModel(LlamaModel model, Tokenizer tokenizer, String format, AutoCloseable resources) implements AutoCloseable {
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
