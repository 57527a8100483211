package dev.lowbit.engine;

import java.nio.file.Path;

/**
 * A model, tokenizer or data file that cannot be used; the message names the file and the problem, on one line:
 * names and strings quoted from a corrupt file may hold control characters or run on, so those are cleaned here.
 */
public class ModelFileException extends LowbitException {
    private static final int MAX_PROBLEM = 400;
    private final transient Path file;

    public ModelFileException(Path file, String problem) {
        super(file + ": " + printable(problem));
        this.file = file;
    }

    public ModelFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + printable(problem), cause);
        this.file = file;
    }

    public Path file() {
        return file;
    }

    /** Control characters shown as '?', and at most {@value #MAX_PROBLEM} characters. */
    static String printable(String problem) {
        StringBuilder sb = new StringBuilder(Math.min(problem.length(), MAX_PROBLEM + 1));
        for (int i = 0; i < problem.length() && sb.length() < MAX_PROBLEM; i++) {
            char c = problem.charAt(i);
            sb.append(Character.isISOControl(c) ? '?' : c);
        }
        if (problem.length() > MAX_PROBLEM) sb.append('…');
        return sb.toString();
    }
}
