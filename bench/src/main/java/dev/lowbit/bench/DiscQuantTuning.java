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
import java.nio.file.Files;
import java.util.List;

/**
 * The tuning table behind DiscQuant's defaults (docs/DISCQUANT.md): stories260K, int3 g32, model scope, one setting
 * changed at a time from the defaults; KLD on the TinyStories sample and on generated text. Prints markdown rows.
 */
public final class DiscQuantTuning {
    record Trial(String label, int windows, int len, int steps, int batch, float lr, float rho, float clamp) {}

    private DiscQuantTuning() {}

    public static void main(String[] args) throws IOException {
        int w = DiscQuantSettings.DEFAULT_WINDOWS, l = DiscQuantSettings.DEFAULT_WINDOW_TOKENS, st = DiscQuantSettings.DEFAULT_STEPS,
                b = DiscQuantSettings.DEFAULT_WINDOWS_PER_STEP;
        float lr = DiscQuantSettings.DEFAULT_LR, rho = DiscQuantSettings.DEFAULT_RHO, k = DiscQuantSettings.DEFAULT_CLAMP;
        List<Trial> trials = List.of(
                new Trial("defaults", w, l, st, b, lr, rho, k),
                new Trial("steps 50", w, l, 50, b, lr, rho, k),
                new Trial("steps 100", w, l, 100, b, lr, rho, k),
                new Trial("steps 400", w, l, 400, b, lr, rho, k),
                new Trial("lr 0.02", w, l, st, b, 0.02f, rho, k),
                new Trial("lr 0.1", w, l, st, b, 0.1f, rho, k),
                new Trial("batch 1", w, l, st, 1, lr, rho, k),
                new Trial("batch 8", w, l, st, 8, lr, rho, k),
                new Trial("8 windows of 128", 8, l, st, b, lr, rho, k),
                new Trial("128 windows of 128", 128, l, st, b, lr, rho, k),
                new Trial("32 windows of 512", w, 512, st, b, lr, rho, k),
                new Trial("ρ 20", w, l, st, b, lr, 20f, k),
                new Trial("κ 0.5", w, l, st, b, lr, rho, 0.5f));
        try (LoadedModel base = ModelLoader.load(SharedData.require("models/stories260K/stories260K.bin"), null, 2)) {
            int ctx = QualityReport.CTX;
            int[] sample = base.tokenizer().encode(Files.readString(SharedData.require("data/tinystories/tinystories_sample.txt")), false, false);
            int[] generated = QualityReport.generateText(base);
            int[] calibText = SelfGeneratedText.sample(base.model(), base.tokenizer(), 128 * ctx, ctx, QualityReport.CALIBRATION_SEED, Progress.NONE);
            Grid grid = Grids.parse("int", 3, false);
            System.out.println("| setting | windows × tokens | steps | batch | lr | ρ | κ | time | KLD sample | KLD generated |");
            System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
            for (Trial t : trials) {
                CalibrationSet calib = CalibrationSet.of(calibText, base.tokenizer().bos(), t.windows(), t.len(), "self-generated");
                DiscQuantSettings s = new DiscQuantSettings(DiscQuantSettings.Scope.MODEL, t.steps(), t.batch(), t.lr(), t.rho(), t.clamp(),
                        DiscQuantSettings.DEFAULT_WEIGHT_DECAY, DiscQuantSettings.warmupFor(t.steps()), 42);
                QuantRecipe recipe = new QuantRecipe("discquant", grid, 32, false, TensorPrecision.INT8, List.of(), false);
                long t0 = System.nanoTime();
                MethodRun.Outcome o = MethodRun.run(QuantMethod.DISCQUANT, base.model(), recipe, calib, new MethodRun.Settings(AwqSettings.DEFAULT, s, 0.01f, false),
                        label -> Progress.NONE);
                double seconds = (System.nanoTime() - t0) / 1e9;
                LlamaModel model = new LlamaModel(base.model().config(), o.result().weights(), base.model().pool());
                KlDivergenceResult a = KlDivergence.evaluate(base.model(), model, sample, ctx, base.tokenizer().bos(), 128, Progress.NONE);
                KlDivergenceResult g = KlDivergence.evaluate(base.model(), model, generated, ctx, base.tokenizer().bos(), 128, Progress.NONE);
                System.out.printf("| %s | %d × %d | %d | %d | %s | %s | %s | %.1f s | %.4f | %.4f |%n", t.label(), t.windows(), t.len(), t.steps(), t.batch(),
                        t.lr(), t.rho(), t.clamp(), seconds, a.meanKld(), g.meanKld());
            }
        }
    }
}
