package dev.lowbit.engine.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.train.BlockGradients;
import dev.lowbit.engine.train.DenseModel;
import dev.lowbit.engine.train.ModelPass;
import dev.lowbit.kernels.F32Matrix;
import dev.lowbit.kernels.WeightMatrix;
import dev.lowbit.kernels.WorkerPool;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The whole model's reverse mode ({@link ModelPass}: KL(teacher ‖ student) summed over a window's positions)
 * against central finite differences of the same loss computed by {@link ReferenceForward}, the naive
 * double-precision forward pass, for sampled weights of every linear layer of every block, every norm and bias.
 */
class ModelGradientTest {
    private static final ValueLayout.OfFloat LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final double EPS = 1e-3;

    /** Variants: Llama with GQA and q/k/v biases in both RoPE conventions; Qwen3's head norms; SmolLM3's RoPE-less layers. */
    @ParameterizedTest
    @ValueSource(strings = {"rotate-half", "adjacent-pairs", "qwen3", "no-rope-every-2"})
    void matchesFiniteDifferencesOfTheNaiveForward(String variant) {
        RopeStyle style = variant.equals("adjacent-pairs") ? RopeStyle.ADJACENT_PAIRS : RopeStyle.ROTATE_HALF;
        LlamaConfig base = new LlamaConfig(12, 20, 2, 4, 2, 4, 17, 8, 1e-5f, 10000f, style);
        LlamaConfig c = variant.equals("no-rope-every-2") ? base.withNoRopeEvery(2) : base;
        boolean qwen3 = variant.equals("qwen3");
        LlamaWeights student = SyntheticWeights.random(c, 31, !qwen3, false), teacher = SyntheticWeights.random(c, 32, !qwen3, false);
        if (qwen3) {
            student = TestWeights.withHeadNorms(student, c.headDim(), 33);
            teacher = TestWeights.withHeadNorms(teacher, c.headDim(), 34);
        }
        student = scaled(student, 4); // larger weights: a KL far from zero, gradients far from zero
        int[] window = LlamaModelTest.randomTokens(6, c.vocabSize(), 35);
        double[][] teacherLogits = referenceLogits(c, teacher, window);
        float[] teacherFlat = new float[window.length * c.vocabSize()];
        for (int t = 0; t < window.length; t++) for (int v = 0; v < c.vocabSize(); v++) teacherFlat[t * c.vocabSize() + v] = (float) teacherLogits[t][v];

        List<BlockGradients> grads = new ArrayList<>();
        DenseModel dense = DenseModel.of(c, student);
        for (var b : dense.blocks()) grads.add(BlockGradients.zerosLike(b));
        try (WorkerPool pool = new WorkerPool(2)) {
            new ModelPass(c, window.length, pool).klBackward(dense, window, teacherFlat, 1f, grads);
        }

        SplittableRandom pick = new SplittableRandom(36);
        double worst = 0;
        for (int l = 0; l < c.nLayers(); l++) {
            LayerWeights w = student.layers().get(l);
            BlockGradients g = grads.get(l);
            WeightMatrix[] linears = {w.wq(), w.wk(), w.wv(), w.wo(), w.wGate(), w.wUp(), w.wDown()};
            for (int i = 0; i < linears.length; i++) {
                var seg = ((F32Matrix) linears[i]).data();
                for (int s = 0; s < 4; s++) {
                    int at = pick.nextInt(linears[i].rows() * linears[i].cols());
                    float keep = seg.getAtIndex(LE, at);
                    LlamaWeights model = student;
                    double numeric = central(v -> seg.setAtIndex(LE, at, v), keep, () -> kl(c, model, window, teacherLogits));
                    worst = Math.max(worst, check(g.linear(i)[at], numeric, "layer " + l + " linear " + i + " weight " + at));
                }
            }
            float[][] vectors = {w.attnNorm(), w.ffnNorm(), w.qBias(), w.kBias(), w.vBias(), w.qNorm(), w.kNorm()};
            float[][] vectorGrads = {g.attnNorm(), g.ffnNorm(), g.qBias(), g.kBias(), g.vBias(), g.qNorm(), g.kNorm()};
            for (int i = 0; i < vectors.length; i++) {
                if (vectors[i] == null) continue;
                float[] vec = vectors[i];
                int at = pick.nextInt(vec.length);
                float keep = vec[at];
                LlamaWeights model = student;
                double numeric = central(v -> vec[at] = v, keep, () -> kl(c, model, window, teacherLogits));
                worst = Math.max(worst, check(vectorGrads[i][at], numeric, "layer " + l + " vector " + i + " entry " + at));
            }
        }
        System.out.printf("model gradient check (%s): largest relative error %.2e%n", variant, worst);
    }

    private static double check(float analytic, double numeric, String what) {
        double err = Math.abs(analytic - numeric) / Math.max(1e-2, Math.abs(numeric));
        assertTrue(err < 2e-3, what + ": analytic " + analytic + ", numeric " + numeric);
        return err;
    }

    private interface Setter { void set(float v); }

    private static double central(Setter set, float keep, java.util.function.DoubleSupplier loss) {
        set.set((float) (keep + EPS));
        double up = loss.getAsDouble();
        set.set((float) (keep - EPS));
        double down = loss.getAsDouble();
        set.set(keep);
        return (up - down) / (((float) (keep + EPS)) - ((float) (keep - EPS)));
    }

    private static double[][] referenceLogits(LlamaConfig c, LlamaWeights w, int[] window) {
        ReferenceForward ref = new ReferenceForward(c, w, window.length);
        double[][] out = new double[window.length][];
        for (int t = 0; t < window.length; t++) out[t] = ref.step(window[t], t);
        return out;
    }

    /** Σ over positions of KL(teacher ‖ student), in double. */
    private static double kl(LlamaConfig c, LlamaWeights student, int[] window, double[][] teacher) {
        double[][] s = referenceLogits(c, student, window);
        double total = 0;
        for (int t = 0; t < window.length; t++) {
            double lt = logSumExp(teacher[t]), ls = logSumExp(s[t]);
            for (int v = 0; v < c.vocabSize(); v++) total += Math.exp(teacher[t][v] - lt) * ((teacher[t][v] - lt) - (s[t][v] - ls));
        }
        return total;
    }

    private static double logSumExp(double[] x) {
        double max = Double.NEGATIVE_INFINITY, s = 0;
        for (double v : x) max = Math.max(max, v);
        for (double v : x) s += Math.exp(v - max);
        return max + Math.log(s);
    }

    /** Every linear weight times {@code f} (fp32 copies). */
    private static LlamaWeights scaled(LlamaWeights w, float f) {
        List<LayerWeights> layers = new ArrayList<>();
        for (LayerWeights l : w.layers()) {
            layers.add(new LayerWeights(l.attnNorm(), times(l.wq(), f), times(l.wk(), f), times(l.wv(), f), times(l.wo(), f), l.qBias(), l.kBias(),
                    l.vBias(), l.qNorm(), l.kNorm(), l.ffnNorm(), times(l.wGate(), f), times(l.wUp(), f), times(l.wDown(), f)));
        }
        return new LlamaWeights(w.tokenEmbedding(), layers, w.finalNorm(), times(w.classifier(), f));
    }

    private static F32Matrix times(WeightMatrix m, float f) {
        float[] v = m.readAll();
        for (int i = 0; i < v.length; i++) v[i] *= f;
        return F32Matrix.of(v, m.rows(), m.cols());
    }
}
