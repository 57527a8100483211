package dev.lowbit.cli;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.LowbitException;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.format.LowbitWriter;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.quant.ModelQuantizer;
import dev.lowbit.quant.QuantRecipe;
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
                        + " or codebook:v1,v2,... (explicit levels)."})
final class QuantizeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "IN", description = "Model to quantize (any format lowbit reads).")
    Path input;

    @Parameters(index = "1", paramLabel = "OUT", description = "Output .lowbit file (written atomically).")
    Path output;

    @Option(names = "--method", paramLabel = "M", description = "Quantization method: rtn (default: ${DEFAULT-VALUE}).")
    String method = "rtn";

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

    @Option(names = "--embeddings", paramLabel = "P", description = "Token embedding and classifier precision: 8, 16 or 32 (default: ${DEFAULT-VALUE}).")
    String embeddings = "8";

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
        if (!method.equals("rtn")) throw new IllegalArgumentException("unknown --method " + method + " (available: rtn)");
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
            ModelQuantizer.Result r = ModelQuantizer.quantize(m.model().weights(), recipe, m.model().pool(),
                    new ProgressBar(spec.commandLine().getErr(), "quantize"));
            Map<String, Object> recorded = new LinkedHashMap<>(recipe.toJson());
            recorded.put("source", input.getFileName().toString());
            recorded.put("created_by", "lowbit 0.1.0");
            LowbitWriter.write(output, m.model().config(), m.tokenizer(), null, recorded, r.weights(), force);
            double seconds = (System.nanoTime() - t0) / 1e9;
            printReport(out, r.report(), output, seconds);
        }
        return 0;
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
