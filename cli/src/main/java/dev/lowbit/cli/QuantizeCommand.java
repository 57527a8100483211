package dev.lowbit.cli;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.LowbitException;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.format.LowbitWriter;
import dev.lowbit.engine.generate.SelfGeneratedText;
import dev.lowbit.quant.MethodRun;
import dev.lowbit.quant.QuantMethod;
import dev.lowbit.quant.discquant.DiscQuantResult;
import dev.lowbit.quant.discquant.DiscQuantSettings;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.ModelQuantizer;
import dev.lowbit.quant.QuantRecipe;
import dev.lowbit.quant.awq.AwqLayerReport;
import dev.lowbit.quant.awq.AwqSettings;
import dev.lowbit.quant.awq.CalibrationSet;
import dev.lowbit.quant.TensorPrecision;
import dev.lowbit.quant.TensorReport;
import dev.lowbit.quant.grid.Grid;
import dev.lowbit.quant.grid.Grids;
import dev.lowbit.quant.grid.MxGrid;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {"Quantize a model to a .lowbit file.",
                "Grids: int (1-8 bits, --sym or asymmetric), e2m1 (FP4), e3m0, e2m2, e3m2, e4m3, e5m2, mxfp4, nf4,"
                        + " or codebook:v1,v2,... (explicit levels).",
                "Methods (all but rtn need --calib):",
                "  rtn            round to nearest: instant, no data; fine at 4+ bits.",
                "  awq            activation-aware scales and clipping, then RTN: minutes; helps most at 3-4 bits.",
                "  gptq           rounds column by column, spreading each error over the columns not yet rounded:",
                "                 minutes; a common choice at 2-3 bits.",
                "  discquant      learns which way each weight rounds: from the unquantized model's next-token",
                "                 distribution (--scope model) or each block's output (--scope block, one block in",
                "                 memory): slowest, best at 2-3 bits.",
                "  awq+gptq, awq+discquant: AWQ's scales first, then that rounding (best of all here).",
                "docs/DISCQUANT.md compares them."})
final class QuantizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "Model to quantize (any format lowbit reads).")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output .lowbit file (written atomically).")
    Path output;

    @Option(names = "--method", paramLabel = "M", description = "rtn, awq, gptq, discquant, awq+gptq or awq+discquant (default: ${DEFAULT-VALUE}).")
    String method = "rtn";

    @Option(names = "--calib", paramLabel = "FILE", description = "Calibration text (UTF-8) for every method but rtn, or 'self' to sample"
            + " it from the model itself (seeded: --calib-seed), a data-free choice. Never the text you evaluate on.")
    String calib;

    @Option(names = "--calib-samples", paramLabel = "N", description = "Calibration windows (default: 128).")
    Integer calibSamples;

    @Option(names = "--calib-len", paramLabel = "L", description = "Tokens per calibration window, at most the model's context (default: 512; discquant: 128).")
    Integer calibLen;

    @Option(names = "--scope", paramLabel = "S", description = "discquant: model (match the unquantized model's next-token distribution)"
            + " or block (match each block's output; memory of one block; default: ${DEFAULT-VALUE}).")
    String scope = "model";

    @Option(names = "--steps", paramLabel = "N", description = "discquant: optimiser steps (per block with --scope block; default: ${DEFAULT-VALUE}).")
    int steps = DiscQuantSettings.DEFAULT_STEPS;

    @Option(names = "--batch", paramLabel = "N", description = "discquant: calibration windows per step (default: ${DEFAULT-VALUE}).")
    int batch = DiscQuantSettings.DEFAULT_WINDOWS_PER_STEP;

    @Option(names = "--lr", paramLabel = "F", description = "discquant: peak learning rate of AdamW (default: ${DEFAULT-VALUE}).")
    float lr = DiscQuantSettings.DEFAULT_LR;

    @Option(names = "--rho", paramLabel = "F", description = "discquant: weight of the loss gradient against the pull toward RTN (default: ${DEFAULT-VALUE}).")
    float rho = DiscQuantSettings.DEFAULT_RHO;

    @Option(names = "--clamp", paramLabel = "F", description = "discquant: bound on the weighted loss gradient (default: ${DEFAULT-VALUE}).")
    float clamp = DiscQuantSettings.DEFAULT_CLAMP;

    @Option(names = "--seed", paramLabel = "S", description = "discquant: seed of the random start and of the window order (default: ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--act-order", description = "gptq: round the inputs with the largest Hessian diagonal first (group scales fitted beforehand).")
    boolean actOrder;

    @Option(names = "--damp", paramLabel = "F", description = "gptq: damping, as a fraction of the Hessian's mean diagonal (default: ${DEFAULT-VALUE}).")
    float damp = 0.01f;

    @Option(names = "--calib-score-tokens", paramLabel = "N", description = "AWQ: calibration tokens (whole windows, at least one)"
            + " that score each candidate scale and clip; fewer is faster (default: ${DEFAULT-VALUE}).")
    int scoreTokens = AwqSettings.DEFAULT.lossTokens();

    @Option(names = "--calib-seed", paramLabel = "S", description = "Seed for --calib self (default: ${DEFAULT-VALUE}).")
    long calibSeed = 1234;

    @Option(names = "--grid", paramLabel = "GRID", description = "Value grid (default: ${DEFAULT-VALUE}).")
    String grid = "int";

    @Option(names = "--bits", paramLabel = "B", description = "Bits per weight for the int grid, 1-8 (default: 4).")
    Integer bits;

    @Option(names = "--group", paramLabel = "G", description = "Group size: 32, 64, 128, 256, any positive number, or 'row' (default: 32).")
    String group = "32";

    @Option(names = "--sym", description = "Symmetric int grid (no per-group offset).")
    boolean symmetric;

    @Option(names = "--search", description = "Search each group's clipping range (shrink down to 0.5) for the least squared error.")
    boolean search;

    @Option(names = "--keep", paramLabel = "PATTERN", description = "Keep tensors whose name matches at full precision (regex or glob; repeatable).")
    List<String> keep = new ArrayList<>();

    @Option(names = "--embeddings", paramLabel = "P", description = "Token embedding and classifier precision: 6, 8, 16 or 32 (default: ${DEFAULT-VALUE}; 6 is about llama.cpp's Q6_K classifier).")
    String embeddings = "6";

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Tokenizer of the input model, when it is not beside it.")
    Path tokenizer;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: all cores, ${DEFAULT-VALUE}).")
    int threads = WorkerPool.defaultThreads();

    @Option(names = "--layout", paramLabel = "L", description = "lut: store 1/2/4-bit matrices for the table-lookup kernel;"
            + " rows: the plain row layout (reference kernel). Default: ${DEFAULT-VALUE}.")
    String layout = "lut";

    @Option(names = {"-f", "--force"}, description = "Overwrite OUT if it exists.")
    boolean force;

    @Override
    public Integer call() {
        QuantMethod m = QuantMethod.parse(method);
        if (m.needsCalibration() && calib == null) {
            throw new IllegalArgumentException("--method " + m.label() + " needs calibration text: --calib FILE (plain UTF-8 text), or --calib self"
                    + " to sample it from the model itself");
        }
        if (!m.needsCalibration() && calib != null) throw new IllegalArgumentException("--calib applies to every method but rtn");
        if (m.awq() && search) throw new IllegalArgumentException("--search is RTN's weight-error clipping; AWQ searches clipping on the layer outputs itself");
        if (bits != null && !grid.equals("int")) throw new IllegalArgumentException("--bits applies to the int grid only; " + grid + " fixes its own width");
        if (symmetric && !grid.equals("int")) throw new IllegalArgumentException("--sym applies to the int grid only");
        Grid g = Grids.parse(grid, bits == null ? 4 : bits, symmetric);
        int groupSize = parseGroup(group);
        if (g instanceof MxGrid && groupSize != MxGrid.BLOCK) {
            throw new IllegalArgumentException("mxfp4 shares one scale per block of " + MxGrid.BLOCK + " (--group " + MxGrid.BLOCK + ")");
        }
        if (!layout.equals("lut") && !layout.equals("rows")) throw new IllegalArgumentException("--layout must be lut or rows, got " + layout);
        DiscQuantSettings dq = m.discQuant() ? discQuantSettings() : null;
        if (m.gptq() && !(damp >= 0 && Float.isFinite(damp))) throw new IllegalArgumentException("--damp must be zero or positive, got " + damp);
        QuantRecipe recipe = new QuantRecipe(m.label(), g, groupSize, search, TensorPrecision.parse(embeddings), keep, layout.equals("lut"));
        if (Files.exists(output) && !force) throw new LowbitException(output + ": already exists (use --force to overwrite)");
        PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        try (LoadedModel loaded = ModelLoader.load(ModelOptions.resolve(input), tokenizer, threads)) {
            CalibrationSet set = m.needsCalibration() ? calibration(loaded, m) : null;
            MethodRun.Settings settings = new MethodRun.Settings(awqSettings(), dq, damp, actOrder);
            MethodRun.Outcome o = MethodRun.run(m, loaded.model(), recipe, set, settings, label -> new ProgressBar(spec.commandLine().getErr(), label));
            if (o.awq() != null) printAwq(out, o.awq(), set, o.awqSeconds());
            if (o.gptq() != null) out.printf("GPTQ calibration: %s; %.1f s%n%n", set.description(), o.gptq().seconds());
            if (o.discQuant() != null) printDiscQuant(out, o.discQuant(), dq, set);
            Map<String, Object> recorded = o.recorded();
            ModelQuantizer.Result r = o.result();
            recorded.put("source", input.getFileName().toString());
            recorded.put("created_by", VersionProvider.VERSION);
            LowbitWriter.write(output, o.source().config(), loaded.tokenizer(), loaded.chatTemplate(), recorded, r.weights(), force);
            double seconds = (System.nanoTime() - t0) / 1e9;
            printReport(out, r.report(), output, seconds);
        }
        return 0;
    }

    private AwqSettings awqSettings() {
        return new AwqSettings(AwqSettings.DEFAULT.alphaSteps(), AwqSettings.DEFAULT.clipSteps(), scoreTokens);
    }

    private DiscQuantSettings discQuantSettings() {
        DiscQuantSettings.Scope sc = switch (scope) {
            case "model" -> DiscQuantSettings.Scope.MODEL;
            case "block" -> DiscQuantSettings.Scope.BLOCK;
            default -> throw new IllegalArgumentException("--scope must be model or block, got " + scope);
        };
        return new DiscQuantSettings(sc, steps, batch, lr, rho, clamp, DiscQuantSettings.DEFAULT_WEIGHT_DECAY, DiscQuantSettings.warmupFor(steps), seed);
    }

    private static void printDiscQuant(PrintWriter out, DiscQuantResult res, DiscQuantSettings s, CalibrationSet set) {
        String loss = s.scope() == DiscQuantSettings.Scope.MODEL ? "KL per position" : "block output error (normalised, mean over blocks)";
        out.printf("DiscQuant (%s scope) calibration: %s%n", s.scope().name().toLowerCase(), set.description());
        out.printf("  %s on the calibration windows: RTN %.5f -> DiscQuant %.5f (optimised: first step %.5f, last step %.5f)%n", loss,
                res.rtnLoss(), res.finalLoss(), res.firstLoss(), res.lastLoss());
        out.printf("  %.1f s, %.3f s per step, %.1f MiB held by the optimisation (besides the model)%n%n", res.seconds(), res.secondsPerStep(),
                res.workingBytes() / 1048576.0);
    }

    private CalibrationSet calibration(LoadedModel m, QuantMethod method) {
        int samples = calibSamples != null ? calibSamples : method.discQuant() ? DiscQuantSettings.DEFAULT_WINDOWS : 128;
        int length = calibLen != null ? calibLen : method.discQuant() ? DiscQuantSettings.DEFAULT_WINDOW_TOKENS : 512;
        if (samples < 1 || length < 2) throw new IllegalArgumentException("--calib-samples must be >= 1 and --calib-len >= 2");
        int len = Math.min(length, m.model().config().contextLength());
        int[] tokens;
        String source;
        if (calib.equals("self")) {
            long t0 = System.nanoTime();
            tokens = SelfGeneratedText.sample(m.model(), m.tokenizer(), Math.multiplyExact(samples, len), len, calibSeed,
                    new ProgressBar(spec.commandLine().getErr(), "sampling calibration text"));
            source = String.format("text sampled from the model (seed %d, %.1f s)", calibSeed, (System.nanoTime() - t0) / 1e9);
        } else {
            Path file = Path.of(calib);
            String text;
            try {
                text = Files.readString(file);
            } catch (java.nio.file.NoSuchFileException e) {
                throw new LowbitException(file + ": no such calibration file");
            } catch (IOException e) {
                throw new LowbitException(file + ": cannot read calibration text (" + e.getMessage() + "; UTF-8 expected)");
            }
            tokens = m.tokenizer().encode(text, false, false);
            source = file.getFileName().toString();
        }
        return CalibrationSet.of(tokens, m.tokenizer().bos(), samples, len, source);
    }

    private static void printAwq(PrintWriter out, dev.lowbit.quant.awq.AwqTransform.Result a, CalibrationSet set, double seconds) {
        out.printf("AWQ calibration: %s; search %.1f s%n", set.description(), seconds);
        out.printf("%-6s %6s %6s %6s %6s   %-31s %8s %8s   %s%n", "block", "α qkv", "α o", "α mlp", "α down",
                "RTN loss / AWQ loss (qkv o mlp down)", "clipped", "mean r", "outliers max/median (attn in, out, mlp in, hidden)");
        for (AwqLayerReport l : a.layers()) {
            out.printf("%-6d %6.2f %6s %6.2f %6.2f   %7.2f %7s %7.2f %7.2f %7.1f%% %8.3f   %.1f %.1f %.1f %.1f%n", l.layer(), l.qkvAlpha(),
                    Float.isNaN(l.oAlpha()) ? "-" : String.format("%.2f", l.oAlpha()), l.mlpAlpha(), l.downAlpha(), l.qkvGain(),
                    Double.isNaN(l.oGain()) ? "-" : String.format("%.2f", l.oGain()), l.mlpGain(), l.downGain(),
                    100 * l.clippedFraction(), l.meanClipRatio(), l.outlierRatios()[0], l.outlierRatios()[1], l.outlierRatios()[2],
                    l.outlierRatios()[3]);
        }
        out.println();
    }

    static int parseGroup(String group) {
        if (group.equals("row")) return 0;
        try {
            int g = Integer.parseInt(group);
            if (g < 1) throw new NumberFormatException();
            return g;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--group must be a positive number or 'row', got '" + group + "'");
        }
    }

    private static void printReport(PrintWriter out, List<TensorReport> report, Path output, double seconds) {
        out.printf("%-22s %13s %-18s %9s %10s%n", "tensor", "shape", "storage", "bits/w", "rel. RMS");
        long params = 0, linearParams = 0;
        double bits = 0, linearBits = 0;
        for (TensorReport t : report) {
            out.printf("%-22s %13s %-18s %9.3f %10.5f%n", t.name(), t.rows() + "x" + t.cols(), t.storage(), t.bitsPerWeight(), t.relativeRmsError());
            params += t.parameters();
            bits += t.bitsPerWeight() * t.parameters();
            if (!dev.lowbit.engine.model.NamedWeights.isEmbeddingOrClassifier(t.name())) {
                linearParams += t.parameters();
                linearBits += t.bitsPerWeight() * t.parameters();
            }
        }
        long size;
        try {
            size = Files.size(output);
        } catch (IOException e) {
            size = -1;
        }
        out.printf("%nwrote %s: %.2f MiB, %,d matrix parameters, %.3f bits/weight overall, %.3f in linear layers, %.1f s%n",
                output, size / 1048576.0, params, bits / params, linearParams == 0 ? 0 : linearBits / linearParams, seconds);
    }
}
