package dev.lowbit.engine;

import java.nio.file.Path;

/** A model, tokenizer or data file that cannot be used; the message names the file and the problem. */
public class ModelFileException extends LowbitException {
    private final transient Path file;

    public ModelFileException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public ModelFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }
}
