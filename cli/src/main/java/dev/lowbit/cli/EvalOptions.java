package dev.lowbit.cli;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelFileException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import picocli.CommandLine.Option;

/** The text and windows that evaluation commands (ppl, kld) share. */
final class EvalOptions {
    @Option(names = {"-f", "--text"}, paramLabel = "FILE", required = true, description = "UTF-8 text to evaluate.")
    Path text;

    @Option(names = {"-c", "--ctx"}, paramLabel = "N", description = "Window length in tokens (default: the model's context, at most 512).")
    Integer ctx;

    @Option(names = "--chunks", paramLabel = "N", description = "Evaluate only the first N windows (default: all).")
    Integer chunks;

    /** --ctx, defaulting to the model's context capped at 512, checked against the model. */
    int window(LoadedModel m) {
        int max = m.model().config().contextLength();
        int window = ctx != null ? ctx : Math.min(512, max);
        if (window < 2 || window > max) throw new IllegalArgumentException("--ctx must be between 2 and the model's context " + max);
        return window;
    }

    /** The tokens (no BOS) of {@code content} (from {@link #readText}), cut to the first --chunks windows. */
    int[] tokens(LoadedModel m, int window, String content) {
        int[] ids = m.tokenizer().encode(content, false, false);
        if (chunks == null) return ids;
        if (chunks < 1) throw new IllegalArgumentException("--chunks must be >= 1");
        int body = m.tokenizer().bos() >= 0 ? window - 1 : window;
        return Arrays.copyOf(ids, (int) Math.min(ids.length, (long) chunks * body));
    }

    /** The text; read before loading models, so that a missing file fails fast. */
    String readText() {
        try {
            if (!Files.isRegularFile(text)) throw new ModelFileException(text, Files.exists(text) ? "not a regular file" : "file not found");
            return new String(Files.readAllBytes(text), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelFileException(text, "cannot read: " + e.getMessage(), e);
        }
    }
}
