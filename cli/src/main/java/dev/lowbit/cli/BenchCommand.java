package dev.lowbit.cli;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.format.GgufCache;
import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.KvCache;
import dev.lowbit.engine.model.TokenBatch;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.engine.model.SyntheticWeights;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.ModelQuantizer;
import dev.lowbit.quant.QuantPresets;
import dev.lowbit.quant.QuantRecipe;
import dev.lowbit.quant.TensorPrecision;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "bench", mixinStandardHelpOptions = true,
        description = {"Measure prompt processing (pp) and generation (tg) speed in tokens/s, like llama-bench.",
                "Either a model file, or --synthetic llama-1b: random weights with Llama 1B shapes, quantized in memory to each --format."})
final class BenchCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "Model file to measure (any format lowbit reads).")
    Path model;

    @Option(names = "--synthetic", paramLabel = "SHAPE", description = "Random-weight model of a known shape: llama-1b (dim 2048, FFN 8192, 16 layers, 32 heads, 8 KV heads, vocabulary 32000).")
    String synthetic;

    @Option(names = "--format", paramLabel = "LIST", split = ",", description = "With --synthetic: formats to measure, from f32, int4, int4-asym, int3, int2, int1, e2m1, nf4, mxfp4, each optionally with /gN for groups of N inputs, e.g. nf4/g64 (default: int4).")
    List<String> formats = List.of("int4");

    @Option(names = "--embeddings", paramLabel = "P", description = "With --synthetic: token embedding and classifier precision of the quantized formats: 6, 8, 16 or 32 (default: ${DEFAULT-VALUE}; 6 is about llama.cpp's Q6_K classifier).")
    String embeddings = "6";

    @Option(names = {"-t", "--threads"}, paramLabel = "LIST", split = ",", description = "Thread counts (default: 1,2).")
    List<Integer> threads = List.of(1, 2);

    @Option(names = {"-n", "--n-gen"}, paramLabel = "N", description = "Tokens generated in the tg test; 0 skips it (default: ${DEFAULT-VALUE}).")
    int generate = 64;

    @Option(names = {"-p", "--n-prompt"}, paramLabel = "N", description = "Prompt tokens in the pp test; 0 skips it (default: ${DEFAULT-VALUE}).")
    int prompt = 128;

    @Option(names = {"-np", "--parallel"}, paramLabel = "LIST", split = ",",
            description = "Sequences decoded together in the tg test, as lowbit serve batches them (like llama-batched-bench): tokens/s is all sequences' (default: 1).")
    List<Integer> parallel = List.of(1);

    @Option(names = {"-r", "--repetitions"}, paramLabel = "N", description = "Measured runs per test, after a warm-up of at least 2 runs and 5 s (default: ${DEFAULT-VALUE}).")
    int repetitions = 3;

    @Option(names = "--warmup", paramLabel = "S", description = "Seconds of warm-up runs before each test's measured runs, at least two runs, so that the JIT has compiled the kernels; 0 runs none (default: ${DEFAULT-VALUE}).")
    int warmupSeconds = 5;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Tokenizer, when it is not beside the model.")
    Path tokenizer;

    @Option(names = "--no-cache", description = "Neither keep nor use lowbit's repacked copy of a GGUF file (as lowbit generate keeps it).")
    boolean noCache;

    @Option(names = "--fork", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "With --synthetic and several formats: measure each format in a fresh JVM, as JMH forks one per benchmark, so that the JIT's profile of one format does not slow the next (default: ${DEFAULT-VALUE}; --no-fork measures all in this JVM).")
    boolean fork;

    /** Set in the forked JVMs: their rows go into the parent's table. */
    @Option(names = "--rows-only", hidden = true)
    boolean rowsOnly;

    @Override
    public Integer call() {
        if ((model == null) == (synthetic == null)) throw new IllegalArgumentException("give either MODEL or --synthetic SHAPE");
        if (repetitions < 1 || generate < 0 || prompt < 0 || warmupSeconds < 0 || threads.stream().anyMatch(t -> t < 1)
                || parallel.stream().anyMatch(b -> b < 1 || b > 64)) {
            throw new IllegalArgumentException("-r must be >= 1, -n, -p and --warmup >= 0, threads >= 1, --parallel in 1..64");
        }
        if (prompt == 0 && generate == 0) throw new IllegalArgumentException("nothing to measure: -p and -n are both 0");
        if (model != null) {
            for (String option : List.of("--format", "--embeddings", "--fork")) {
                if (spec.commandLine().getParseResult().hasMatchedOption(option)) throw new IllegalArgumentException(option + " applies to --synthetic only");
            }
        }
        for (String f : formats) QuantPresets.recipe(f); // reject bad arguments before the table and the long work
        LlamaConfig config = synthetic == null ? null : SyntheticWeights.preset(synthetic);
        if (config != null) checkLengths(synthetic, config); // before minutes of quantizing
        TensorPrecision precision = TensorPrecision.parse(embeddings);
        PrintWriter out = spec.commandLine().getOut();
        if (!rowsOnly) {
            out.println(VersionProvider.kernelLine());
            out.printf("| %-24s | %-18s | %10s | %8s | %7s | %6s | %16s |%n", "model", "format", "size", "params", "threads", "test", "t/s");
            out.printf("|%s|%s|%s|%s|%s|%s|%s|%n", "-".repeat(26), "-".repeat(20), "-".repeat(12), "-".repeat(10), "-".repeat(9), "-".repeat(8), "-".repeat(18));
            out.flush();
        }
        if (model != null) {
            try (LoadedModel m = ModelLoader.load(ModelOptions.resolve(model), tokenizer, threads.get(0), false,
                    noCache ? null : new GgufCache(GgufCache.defaultDir()))) {
                checkLengths(model.getFileName().toString(), m.model().config());
                // The copy's path (which generate prints) would not fit the table's column.
                String format = m.format().startsWith("gguf, repacked copy") ? "gguf (lowbit copy)" : m.format();
                measure(out, model.getFileName().toString(), format, m.model().config(), m.model().weights());
            }
            return 0;
        }
        if (fork && formats.size() > 1) {
            for (String format : formats) measureInFreshJvm(out, format);
            return 0;
        }
        LlamaWeights fp32;
        try (WorkerPool pool = new WorkerPool(WorkerPool.defaultThreads())) {
            fp32 = SyntheticWeights.random(config, 1, false, true, pool);
            for (String format : formats) {
                QuantRecipe recipe = QuantPresets.recipe(format);
                LlamaWeights w = recipe == null ? fp32
                        : ModelQuantizer.quantize(fp32, recipe.withEmbeddings(precision), pool, new ProgressBar(spec.commandLine().getErr(), "quantize " + format)).weights();
                String label = recipe == null || precision == TensorPrecision.INT6 ? format : format + " (emb " + embeddings + ")";
                measure(out, synthetic + " (synthetic)", label, config, w);
            }
        }
        return 0;
    }

    /**
     * This command for one format in a new JVM with this JVM's options, its rows copied into the table. In one JVM
     * a format measured after others ran a kernel C2 had compiled for them: int3 after int4 decoded 21.4–21.8
     * tokens/s on one thread in two runs of three, against 25.5–26.4 alone.
     */
    private void measureInFreshJvm(PrintWriter out, String format) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "bench",
                "--synthetic", synthetic, "--format", format, "--embeddings", embeddings,
                "-t", threads.stream().map(String::valueOf).collect(Collectors.joining(",")),
                "-n", String.valueOf(generate), "-p", String.valueOf(prompt), "-r", String.valueOf(repetitions),
                "-np", parallel.stream().map(String::valueOf).collect(Collectors.joining(",")),
                "--warmup", String.valueOf(warmupSeconds), "--no-fork", "--rows-only"));
        try {
            Process p = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (BufferedReader rows = p.inputReader(StandardCharsets.UTF_8)) {
                for (String line; (line = rows.readLine()) != null; ) {
                    out.println(line);
                    out.flush();
                }
            }
            int exit = p.waitFor();
            if (exit != 0) throw new IllegalArgumentException("format " + format + ": its JVM exited with " + exit + " (its error is above)");
        } catch (IOException e) {
            throw new IllegalArgumentException("format " + format + ": could not start a JVM (" + e.getMessage() + "); try --no-fork");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalArgumentException("interrupted");
        }
    }

    private void checkLengths(String name, LlamaConfig config) {
        int context = config.contextLength();
        if (prompt > context || generate > context) {
            throw new IllegalArgumentException(name + ": -p " + prompt + " and -n " + generate + " must fit the model's context of " + context + " tokens");
        }
    }

    private void measure(PrintWriter out, String name, String format, LlamaConfig config, LlamaWeights weights) {
        NamedWeights named = NamedWeights.of(weights);
        long bytes = named.bytes(), params = named.parameters();
        for (int t : threads) {
            try (WorkerPool pool = new WorkerPool(t)) {
                LlamaModel model = new LlamaModel(config, weights, pool);
                if (prompt > 0) row(out, name, format, bytes, params, t, "pp" + prompt, runs(() -> promptSpeed(model)));
                for (int b : generate > 0 ? parallel : List.<Integer>of()) {
                    row(out, name, format, bytes, params, t, "tg" + generate + (b > 1 ? "×" + b : ""), runs(() -> generationSpeed(model, b)));
                }
            }
        }
    }

    /** Warm-up: at least two runs and --warmup seconds (5 by default), so that C2 has compiled the kernels (on 2 cores it competes for them). */
    private double[] runs(java.util.function.DoubleSupplier test) {
        long start = System.nanoTime(), warmup = warmupSeconds * 1_000_000_000L;
        for (int i = 0; warmupSeconds > 0 && (i < 2 || System.nanoTime() - start < warmup); i++) test.getAsDouble();
        double[] r = new double[repetitions];
        for (int i = 0; i < repetitions; i++) r[i] = test.getAsDouble();
        return r;
    }

    private static void row(PrintWriter out, String name, String format, long bytes, long params, int threads, String test, double[] tps) {
        double mean = 0, var = 0;
        for (double v : tps) mean += v / tps.length;
        for (double v : tps) var += (v - mean) * (v - mean) / Math.max(1, tps.length - 1);
        out.printf("| %-24s | %-18s | %6.1f MiB | %6.2f B | %7d | %6s | %8.2f ± %5.2f |%n",
                name, format, bytes / 1048576.0, params / 1e9, threads, test, mean, Math.sqrt(var));
        out.flush();
    }

    private int[] tokens(int n, int vocab) {
        SplittableRandom r = new SplittableRandom(7);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }

    /** Tokens/s of one batched forward pass over the whole prompt (logits of the last token only). */
    private double promptSpeed(LlamaModel model) {
        InferenceState s = model.newState(Math.min(prompt, model.config().contextLength()), prompt);
        int[] t = tokens(prompt, model.config().vocabSize());
        long t0 = System.nanoTime();
        model.forward(s, t, 0, prompt, 0, false);
        return prompt * 1e9 / (System.nanoTime() - t0);
    }

    /** Tokens/s of generating one token at a time from an empty context, for one sequence or several in lockstep. */
    private double generationSpeed(LlamaModel model, int sequences) {
        int ctx = Math.min(generate + 1, model.config().contextLength());
        int[] t = tokens(generate, model.config().vocabSize());
        // One sequence is a batch of one row: the same forward pass as model.forward(s, t, i, 1, i, false).
        InferenceState s = InferenceState.forBatches(model.config(), ctx, sequences);
        KvCache[] caches = new KvCache[sequences];
        for (int q = 0; q < sequences; q++) caches[q] = new KvCache(model.config(), ctx);
        TokenBatch batch = new TokenBatch(sequences);
        long t0 = System.nanoTime();
        for (int i = 0; i < generate; i++) {
            batch.clear();
            for (int q = 0; q < sequences; q++) batch.add(caches[q], t[(i + 7 * q) % generate], i, true);
            model.forward(s, batch);
        }
        return (double) sequences * generate * 1e9 / (System.nanoTime() - t0);
    }

}
