package dev.lowbit.cli;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelFileException;
import dev.lowbit.engine.eval.Perplexity;
import dev.lowbit.engine.eval.PerplexityResult;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "ppl", mixinStandardHelpOptions = true,
        description = "Perplexity of a text file in non-overlapping windows (each window starts with BOS).")
final class PerplexityCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = {"-f", "--text"}, paramLabel = "FILE", required = true, description = "UTF-8 text to evaluate.")
    Path text;

    @Option(names = {"-c", "--ctx"}, paramLabel = "N", description = "Window length in tokens (default: the model's context, at most 512).")
    Integer ctx;

    @Option(names = "--chunks", paramLabel = "N", description = "Evaluate only the first N windows (default: all).")
    Integer chunks;

    @Option(names = {"-b", "--batch"}, paramLabel = "N", description = "Tokens per forward batch (default: ${DEFAULT-VALUE}).")
    int batch = 128;

    @Override
    public Integer call() {
        String content = readText(text);
        try (LoadedModel m = modelOptions.load()) {
            int window = windowLength(ctx, m);
            int bos = m.tokenizer().bos();
            int[] ids = limit(m.tokenizer().encode(content, false, false), chunks, window, bos);
            spec.commandLine().getErr().printf("%s: %d tokens, windows of %d tokens, %d threads%n", text, ids.length, window, modelOptions.threads);
            long t0 = System.nanoTime();
            PerplexityResult r = Perplexity.evaluate(m.model(), ids, window, bos, batch, new ProgressBar(spec.commandLine().getErr(), "ppl"));
            double seconds = (System.nanoTime() - t0) / 1e9;
            spec.commandLine().getOut().printf("perplexity: %.4f  (mean NLL %.6f nats over %d predicted tokens, %d windows of %d, %.1f tokens/s)%n",
                    r.perplexity(), r.meanNll(), r.predictions(), r.windows(), window, r.predictions() / seconds);
        }
        return 0;
    }

    /** --ctx, defaulting to the model's context capped at 512, checked against the model. */
    static int windowLength(Integer ctx, LoadedModel m) {
        int max = m.model().config().contextLength();
        int window = ctx != null ? ctx : Math.min(512, max);
        if (window < 2 || window > max) throw new IllegalArgumentException("--ctx must be between 2 and the model's context " + max);
        return window;
    }

    /** The tokens of the first {@code chunks} windows (all when null). */
    static int[] limit(int[] ids, Integer chunks, int window, int bos) {
        if (chunks == null) return ids;
        if (chunks < 1) throw new IllegalArgumentException("--chunks must be >= 1");
        int body = bos >= 0 ? window - 1 : window;
        return Arrays.copyOf(ids, (int) Math.min(ids.length, (long) chunks * body));
    }

    static String readText(Path path) {
        try {
            if (!Files.isRegularFile(path)) throw new ModelFileException(path, Files.exists(path) ? "not a regular file" : "file not found");
            return new String(Files.readAllBytes(path), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ModelFileException(path, "cannot read: " + e.getMessage(), e);
        }
    }
}
