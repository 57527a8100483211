package dev.lowbit.bench;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.eval.KlDivergence;
import dev.lowbit.engine.eval.KlDivergenceResult;
import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.generate.SelfGeneratedText;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.quant.MethodRun;
import dev.lowbit.quant.QuantMethod;
import dev.lowbit.quant.QuantRecipe;
import dev.lowbit.quant.TensorPrecision;
import dev.lowbit.quant.awq.AwqSettings;
import dev.lowbit.quant.awq.CalibrationSet;
import dev.lowbit.quant.discquant.DiscQuantSettings;
import dev.lowbit.quant.grid.Grid;
import dev.lowbit.quant.grid.Grids;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The rounding methods side by side on stories260K (RTN, AWQ, GPTQ, DiscQuant in both scopes, and the AWQ
 * compositions), each with the CLI's default settings: a section of docs/QUALITY.md, also runnable alone
 * ({@code main}: writes just this section to the file given).
 */
public final class RoundingMethodsReport {
    record Method(String label, QuantMethod method, DiscQuantSettings.Scope scope) {}

    static final List<Method> METHODS = List.of(
            new Method("RTN", QuantMethod.RTN, null),
            new Method("AWQ", QuantMethod.AWQ, null),
            new Method("GPTQ", QuantMethod.GPTQ, null),
            new Method("DiscQuant (model)", QuantMethod.DISCQUANT, DiscQuantSettings.Scope.MODEL),
            new Method("DiscQuant (block)", QuantMethod.DISCQUANT, DiscQuantSettings.Scope.BLOCK),
            new Method("AWQ+GPTQ", QuantMethod.AWQ_GPTQ, null),
            new Method("AWQ+DiscQuant (model)", QuantMethod.AWQ_DISCQUANT, DiscQuantSettings.Scope.MODEL));

    static final List<QualityReport.Scheme> SCHEMES = List.of(
            new QualityReport.Scheme("int4 g32", "int", 4, false, 32, false),
            new QualityReport.Scheme("int4 g128", "int", 4, false, 128, false),
            new QualityReport.Scheme("int3 g32", "int", 3, false, 32, false),
            new QualityReport.Scheme("int3 g64", "int", 3, false, 64, false),
            new QualityReport.Scheme("int2 g32", "int", 2, false, 32, false),
            new QualityReport.Scheme("E2M1 g32", "e2m1", 0, false, 32, false),
            new QualityReport.Scheme("NF4 g32", "nf4", 0, false, 32, false));

    private RoundingMethodsReport() {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "target/rounding-methods.md");
        try (LoadedModel base = ModelLoader.load(SharedData.require("models/stories260K/stories260K.bin"), null, 2)) {
            int[] sample = base.tokenizer().encode(Files.readString(SharedData.require("data/tinystories/tinystories_sample.txt")), false, false);
            StringBuilder md = new StringBuilder();
            section(md, base, sample, QualityReport.generateText(base));
            Files.writeString(out, md.toString());
            System.err.println("wrote " + out);
        }
    }

    static void section(StringBuilder md, LoadedModel base, int[] sample, int[] generated) {
        int ctx = QualityReport.CTX;
        int[] calibText = SelfGeneratedText.sample(base.model(), base.tokenizer(), 128 * ctx, ctx, QualityReport.CALIBRATION_SEED, Progress.NONE);
        CalibrationSet wide = CalibrationSet.of(calibText, base.tokenizer().bos(), 128, ctx, "self-generated");
        CalibrationSet narrow = CalibrationSet.of(calibText, base.tokenizer().bos(), DiscQuantSettings.DEFAULT_WINDOWS,
                DiscQuantSettings.DEFAULT_WINDOW_TOKENS, "self-generated");
        md.append("## Rounding methods side by side\n\n")
          .append("Every method with `lowbit quantize`'s defaults, on text the fp32 model samples itself (seed ").append(QualityReport.CALIBRATION_SEED)
          .append("): AWQ and GPTQ on ").append(wide.description()).append("; DiscQuant on ").append(narrow.description())
          .append(" (its defaults: ").append(DiscQuantSettings.DEFAULT_STEPS).append(" steps of ").append(DiscQuantSettings.DEFAULT_WINDOWS_PER_STEP)
          .append(" windows, lr ").append(DiscQuantSettings.DEFAULT_LR).append(", ρ ").append(DiscQuantSettings.DEFAULT_RHO).append(", κ ")
          .append(DiscQuantSettings.DEFAULT_CLAMP).append("; docs/DISCQUANT.md). AWQ+… compositions calibrate both steps that way. ")
          .append("Time: the whole quantization on ").append(base.model().pool().threads())
          .append(" threads. Heap: the JVM's peak heap during it (model and evaluation buffers included; stories260K itself is 1 MB).\n\n")
          .append("| scheme | method | time | heap | ppl sample | Δppl | KLD sample | top-1 | ppl generated | KLD generated | top-1 |\n")
          .append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (QualityReport.Scheme s : SCHEMES) {
            Grid grid = Grids.parse(s.grid(), s.bits() == 0 ? 4 : s.bits(), s.symmetric());
            for (Method m : METHODS) {
                QuantRecipe recipe = new QuantRecipe(m.method().label(), grid, s.group(), false, TensorPrecision.INT8, List.of(), false);
                DiscQuantSettings dq = m.scope() == null ? null : new DiscQuantSettings(m.scope(), DiscQuantSettings.DEFAULT_STEPS,
                        DiscQuantSettings.DEFAULT_WINDOWS_PER_STEP, DiscQuantSettings.DEFAULT_LR, DiscQuantSettings.DEFAULT_RHO,
                        DiscQuantSettings.DEFAULT_CLAMP, DiscQuantSettings.DEFAULT_WEIGHT_DECAY, DiscQuantSettings.warmupFor(DiscQuantSettings.DEFAULT_STEPS), 42);
                MethodRun.Settings settings = new MethodRun.Settings(AwqSettings.DEFAULT, dq, 0.01f, false);
                resetPeakHeap();
                long t0 = System.nanoTime();
                MethodRun.Outcome o = MethodRun.run(m.method(), base.model(), recipe, m.method().discQuant() ? narrow : wide, settings, label -> Progress.NONE);
                double seconds = (System.nanoTime() - t0) / 1e9;
                long heap = peakHeap();
                LlamaModel model = new LlamaModel(base.model().config(), o.result().weights(), base.model().pool());
                KlDivergenceResult a = KlDivergence.evaluate(base.model(), model, sample, ctx, base.tokenizer().bos(), 128, Progress.NONE);
                KlDivergenceResult b = KlDivergence.evaluate(base.model(), model, generated, ctx, base.tokenizer().bos(), 128, Progress.NONE);
                md.append(String.format("| %s | %s | %.1f s | %d MiB | %.4f | %+.2f%% | %.4f | %.2f%% | %.4f | %.4f | %.2f%% |%n", s.label(), m.label(),
                        seconds, heap >> 20, a.modelPerplexity(), 100 * (a.modelPerplexity() / a.basePerplexity() - 1), a.meanKld(),
                        100 * a.top1Agreement(), b.modelPerplexity(), b.meanKld(), 100 * b.top1Agreement()));
                System.err.printf("rounding section %s %s: KLD %.5f / %.5f, %.1f s%n", s.label(), m.label(), a.meanKld(), b.meanKld(), seconds);
            }
        }
        md.append('\n');
    }

    private static void resetPeakHeap() {
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getType() == MemoryType.HEAP) p.resetPeakUsage();
    }

    private static long peakHeap() {
        long sum = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) if (p.getType() == MemoryType.HEAP) sum += p.getPeakUsage().getUsed();
        return sum;
    }
}
