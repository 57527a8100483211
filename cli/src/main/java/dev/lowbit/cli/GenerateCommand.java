package dev.lowbit.cli;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.quant.ModelQuantizer;
import dev.lowbit.quant.QuantPresets;
import dev.lowbit.quant.QuantRecipe;
import dev.lowbit.engine.generate.GenerationResult;
import dev.lowbit.engine.generate.Generator;
import dev.lowbit.engine.sampling.Sampler;
import dev.lowbit.engine.sampling.SamplerSettings;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt, streaming it as it is produced; prints tokens/s at the end.")
final class GenerateCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "Prompt text (default: \"${DEFAULT-VALUE}\").")
    String prompt = "Once upon a time";

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", description = "Tokens to generate at most (default: ${DEFAULT-VALUE}).")
    int maxTokens = 256;

    @Mixin SamplingOptions sampling;

    @Option(names = {"-c", "--ctx"}, paramLabel = "N", description = "Context length (default: the model's, at most ${DEFAULT-VALUE}).")
    int ctx = 4096;

    @Option(names = {"-b", "--batch"}, paramLabel = "N", description = "Prompt tokens per prefill batch (default: ${DEFAULT-VALUE}).")
    int batch = 128;

    @Option(names = "--no-bos", description = "Do not put the beginning-of-sequence token before the prompt.")
    boolean noBos;

    @Option(names = "--quantize", paramLabel = "PRESET", description = "Quantize the model in memory first (RTN): int4, int4-asym, int3, int2, int1,"
            + " e2m1, nf4, mxfp4 — all run on the table-lookup kernel; PRESET/gN sets the group size (nf4/g64). For files, use 'lowbit quantize'.")
    String quantize;

    @Override
    public Integer call() {
        if (maxTokens < 0) throw new IllegalArgumentException("-n must be >= 0");
        if (ctx < 2 || batch < 1) throw new IllegalArgumentException("--ctx must be >= 2 and --batch >= 1");
        long actualSeed = sampling.seed();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        long openStart = System.nanoTime();
        try (LoadedModel m = modelOptions.load()) {
            long loadNanos = System.nanoTime() - openStart;
            LlamaModel model = m.model();
            if (quantize != null) {
                QuantRecipe recipe = QuantPresets.recipe(quantize);
                if (recipe == null) throw new IllegalArgumentException("--quantize f32 means no quantization; leave it out");
                long q0 = System.nanoTime();
                ModelQuantizer.Result q = ModelQuantizer.quantize(model.weights(), recipe, model.pool(), Progress.NONE);
                model = new LlamaModel(model.config(), q.weights(), model.pool());
                err.printf("quantized to %s in %.2f s: %.2f bits/weight in the linear layers, table-lookup kernel%n", quantize,
                        (System.nanoTime() - q0) / 1e9, NamedWeights.of(q.weights()).linearBitsPerWeight());
            }
            SamplerSettings settings = sampling.settings();
            int[] promptIds = m.tokenizer().encode(prompt, !noBos, false);
            int context = Math.min(ctx, model.config().contextLength());
            Generator generator = new Generator(model, m.tokenizer(), context, batch);
            out.print(m.tokenizer().decode(promptIds));
            out.flush();
            GenerationResult r = generator.generate(promptIds, maxTokens, new Sampler(settings, model.config().vocabSize()),
                    piece -> {
                        out.print(piece);
                        out.flush();
                    });
            out.println();
            out.flush();
            err.printf("%nprompt: %d tokens, %.1f tokens/s | generation: %d tokens, %.1f tokens/s | %s | seed %d | threads %d%n",
                    r.promptTokens().length, r.promptTokensPerSecond(), r.generatedTokens().length, r.decodeTokensPerSecond(),
                    stopText(r.stopReason()), actualSeed, modelOptions.threads);
            err.printf("load: %.2f s | open to first token: %.2f s%n", loadNanos / 1e9, (loadNanos + r.prefillNanos()) / 1e9);
        }
        return 0;
    }

    private static String stopText(GenerationResult.StopReason reason) {
        return switch (reason) {
            case LENGTH -> "stopped at -n";
            case STOP_TOKEN -> "stopped at end-of-text";
            case CONTEXT_FULL -> "stopped: context full";
        };
    }
}
