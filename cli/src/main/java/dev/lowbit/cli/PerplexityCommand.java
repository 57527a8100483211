package dev.lowbit.cli;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.eval.Perplexity;
import dev.lowbit.engine.eval.PerplexityResult;
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
    @Mixin EvalOptions eval;

    @Option(names = {"-b", "--batch"}, paramLabel = "N", description = "Tokens per forward batch; 1 runs the decode kernels (default: ${DEFAULT-VALUE}).")
    int batch = 128;

    @Override
    public Integer call() {
        String content = eval.readText();
        try (LoadedModel m = modelOptions.load()) {
            int window = eval.window(m);
            int[] ids = eval.tokens(m, window, content);
            spec.commandLine().getErr().printf("%s: %d tokens, windows of %d tokens, %d threads%n", eval.text, ids.length, window, modelOptions.threads);
            long t0 = System.nanoTime();
            PerplexityResult r = Perplexity.evaluate(m.model(), ids, window, m.tokenizer().bos(), batch, new ProgressBar(spec.commandLine().getErr(), "ppl"));
            double seconds = (System.nanoTime() - t0) / 1e9;
            spec.commandLine().getOut().printf("perplexity: %.4f  (mean NLL %.6f nats over %d predicted tokens, %d windows of %d, %.1f tokens/s)%n",
                    r.perplexity(), r.meanNll(), r.predictions(), r.windows(), window, r.predictions() / seconds);
        }
        return 0;
    }
}
