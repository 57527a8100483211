package dev.lowbit.cli;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.LowbitException;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.format.LowbitWriter;
import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.generate.SelfGeneratedText;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.ModelQuantizer;
import dev.lowbit.quant.QuantRecipe;
import dev.lowbit.quant.RtnQuantizer;
import dev.lowbit.quant.awq.AwqLayerReport;
import dev.lowbit.quant.awq.AwqSettings;
import dev.lowbit.quant.awq.AwqTransform;
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
import java.util.LinkedHashMap;
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
                "Methods: rtn (round to nearest), awq (activation-aware scaling and clipping, needs --calib)."})
final class QuantizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "Model to quantize (any format lowbit reads).")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output .lowbit file (written atomically).")
    Path output;

    @Option(names = "--method", paramLabel = "M", description = "Quantization method: rtn or awq (default: ${DEFAULT-VALUE}).")
    String method = "rtn";

    @Option(names = "--calib", paramLabel = "FILE", description = "AWQ calibration text (UTF-8), or 'self' to sample it from the"
            + " model itself (seeded: --calib-seed), a data-free choice.")
    String calib;

    @Option(names = "--calib-samples", paramLabel = "N", description = "AWQ calibration windows (default: ${DEFAULT-VALUE}).")
    int calibSamples = 128;

    @Option(names = "--calib-len", paramLabel = "L", description = "Tokens per calibration window, at most the model's context (default: ${DEFAULT-VALUE}).")
    int calibLen = 512;

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
        if (!method.equals("rtn") && !method.equals("awq")) throw new IllegalArgumentException("unknown --method " + method + " (available: rtn, awq)");
        boolean awq = method.equals("awq");
        if (awq && calib == null) {
            throw new IllegalArgumentException("--method awq needs calibration text: --calib FILE (plain UTF-8 text), or --calib self"
                    + " to sample it from the model itself");
        }
        if (!awq && calib != null) throw new IllegalArgumentException("--calib applies to --method awq only");
        if (awq && search) throw new IllegalArgumentException("--search is RTN's weight-error clipping; AWQ searches clipping on the layer outputs itself");
        if (bits != null && !grid.equals("int")) throw new IllegalArgumentException("--bits applies to the int grid only; " + grid + " fixes its own width");
        if (symmetric && !grid.equals("int")) throw new IllegalArgumentException("--sym applies to the int grid only");
        Grid g = Grids.parse(grid, bits == null ? 4 : bits, symmetric);
        int groupSize = parseGroup(group);
        if (g instanceof MxGrid && groupSize != MxGrid.BLOCK) {
            throw new IllegalArgumentException("mxfp4 shares one scale per block of " + MxGrid.BLOCK + " (--group " + MxGrid.BLOCK + ")");
        }
        if (!layout.equals("lut") && !layout.equals("rows")) throw new IllegalArgumentException("--layout must be lut or rows, got " + layout);
        QuantRecipe recipe = new QuantRecipe(method, g, groupSize, search, TensorPrecision.parse(embeddings), keep, layout.equals("lut"));
        if (Files.exists(output) && !force) throw new LowbitException(output + ": already exists (use --force to overwrite)");
        PrintWriter out = spec.commandLine().getOut();
        long t0 = System.nanoTime();
        try (LoadedModel m = ModelLoader.load(input, tokenizer, threads)) {
            LlamaWeights weights = m.model().weights();
            Map<String, Object> recorded = new LinkedHashMap<>(recipe.toJson());
            ModelQuantizer.Result r;
            if (awq) {
                CalibrationSet set = calibration(m);
                long a0 = System.nanoTime();
                AwqSettings settings = new AwqSettings(AwqSettings.DEFAULT.alphaSteps(), AwqSettings.DEFAULT.clipSteps(), scoreTokens);
                // Each block is rounded as soon as AWQ has transformed it: one block in fp32 at a time.
                ModelQuantizer q = new ModelQuantizer(weights, recipe, m.model().pool(), Progress.NONE);
                AwqTransform.Result a = new AwqTransform(m.model(), new RtnQuantizer(g, groupSize, false), settings)
                        .run(set, new ProgressBar(spec.commandLine().getErr(), "awq"), q::layer);
                r = q.finish(weights, a.weights().layers());
                recorded.put("awq", a.toJson(settings, set));
                printAwq(out, a, set, (System.nanoTime() - a0) / 1e9);
            } else {
                r = ModelQuantizer.quantize(weights, recipe, m.model().pool(), new ProgressBar(spec.commandLine().getErr(), "quantize"));
            }
            recorded.put("source", input.getFileName().toString());
            recorded.put("created_by", VersionProvider.VERSION);
            LowbitWriter.write(output, m.model().config(), m.tokenizer(), m.chatTemplate(), recorded, r.weights(), force);
            double seconds = (System.nanoTime() - t0) / 1e9;
            printReport(out, r.report(), output, seconds);
        }
        return 0;
    }

    private CalibrationSet calibration(LoadedModel m) {
        if (calibSamples < 1 || calibLen < 2) throw new IllegalArgumentException("--calib-samples must be >= 1 and --calib-len >= 2");
        int len = Math.min(calibLen, m.model().config().contextLength());
        int[] tokens;
        String source;
        if (calib.equals("self")) {
            long t0 = System.nanoTime();
            tokens = SelfGeneratedText.sample(m.model(), m.tokenizer(), Math.multiplyExact(calibSamples, len), len, calibSeed,
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
        return CalibrationSet.of(tokens, m.tokenizer().bos(), calibSamples, len, source);
    }

    private static void printAwq(PrintWriter out, AwqTransform.Result a, CalibrationSet set, double seconds) {
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
