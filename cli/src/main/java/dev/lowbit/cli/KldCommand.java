package dev.lowbit.cli;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.eval.KlDivergence;
import dev.lowbit.engine.eval.KlDivergenceResult;
import dev.lowbit.kernels.WorkerPool;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "kld", mixinStandardHelpOptions = true,
        description = "Compare a (quantized) model with its base over a text: perplexities, KL divergence of the"
                + " next-token distributions (mean, 99th percentile), top-1 agreement.")
final class KldCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Option(names = "--base", paramLabel = "MODEL", required = true, description = "The reference model (e.g. the fp32 original).")
    Path base;

    @Option(names = {"-m", "--model"}, paramLabel = "MODEL", required = true, description = "The model to compare (e.g. a .lowbit file).")
    Path model;

    @Mixin EvalOptions eval;

    @Option(names = {"-b", "--batch"}, paramLabel = "N", description = "Tokens per forward batch; 1 runs the decode (table-lookup) kernels (default: ${DEFAULT-VALUE}).")
    int batch = 128;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Tokenizer of the base model, when it is not beside it.")
    Path tokenizer;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: all cores, ${DEFAULT-VALUE}).")
    int threads = WorkerPool.defaultThreads();

    @Override
    public Integer call() {
        if (batch < 1) throw new IllegalArgumentException("--batch must be >= 1");
        String content = eval.readText();
        try (LoadedModel b = ModelLoader.load(ModelOptions.resolve(base), tokenizer, threads); LoadedModel m = ModelLoader.load(ModelOptions.resolve(model), null, threads)) {
            int window = eval.window(b);
            int[] ids = eval.tokens(b, window, content);
            PrintWriter err = spec.commandLine().getErr();
            err.printf("%s: %d tokens, windows of %d tokens%n", eval.text, ids.length, window);
            KlDivergenceResult r = KlDivergence.evaluate(b.model(), m.model(), ids, window, b.tokenizer().bos(), batch,
                    new ProgressBar(err, "kld"));
            PrintWriter out = spec.commandLine().getOut();
            out.printf("positions:        %d%n", r.positions());
            out.printf("base perplexity:  %.4f%n", r.basePerplexity());
            out.printf("model perplexity: %.4f (%+.2f%%)%n", r.modelPerplexity(), 100 * (r.modelPerplexity() / r.basePerplexity() - 1));
            out.printf("mean KLD:         %.6f%n", r.meanKld());
            out.printf("99%% KLD:          %.6f%n", r.p99Kld());
            out.printf("max KLD:          %.6f%n", r.maxKld());
            out.printf("top-1 agreement:  %.2f%%%n", 100 * r.top1Agreement());
        }
        return 0;
    }

}
