package dev.lowbit.engine.generate;

import dev.lowbit.engine.eval.Progress;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.sampling.Sampler;
import dev.lowbit.engine.sampling.SamplerSettings;
import dev.lowbit.engine.tokenizer.Tokenizer;
import java.util.Arrays;

/**
 * Text a model samples itself: from BOS until it ends each piece (or fills {@code ctx}), pieces joined with BOS,
 * plain temperature-1 sampling with a fixed seed. A data-free stand-in for evaluation and calibration text.
 */
public final class SelfGeneratedText {
    private SelfGeneratedText() {}

    public static int[] sample(LlamaModel model, Tokenizer tokenizer, int tokens, int ctx, long seed, Progress progress) {
        int context = Math.min(ctx, model.config().contextLength());
        Generator g = new Generator(model, tokenizer, context, 64);
        Sampler sampler = new Sampler(new SamplerSettings(1, 0, 1, 0, seed), model.config().vocabSize());
        int[] out = new int[tokens];
        int count = 0;
        while (count < tokens) {
            GenerationResult r = g.generate(new int[] {tokenizer.bos()}, context - 1, sampler, piece -> { });
            if (count > 0) out[count++] = tokenizer.bos();
            int take = Math.min(r.generatedTokens().length, tokens - count);
            System.arraycopy(r.generatedTokens(), 0, out, count, take);
            count += take;
            progress.update(count, tokens, "sampling text");
        }
        return Arrays.copyOf(out, tokens);
    }
}
