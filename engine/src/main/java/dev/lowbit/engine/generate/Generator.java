package dev.lowbit.engine.generate;

import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.sampling.Sampler;
import dev.lowbit.engine.tokenizer.TextStream;
import dev.lowbit.engine.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.function.Consumer;

/** Prompt → prefill in batches → sample/decode loop, streaming text as it is produced. */
public final class Generator {
    private final LlamaModel model;
    private final Tokenizer tokenizer;
    private final int contextLength;
    private final int batchSize;

    public Generator(LlamaModel model, Tokenizer tokenizer, int contextLength, int batchSize) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.contextLength = Math.min(contextLength, model.config().contextLength());
        this.batchSize = batchSize;
    }

    /**
     * Generates up to {@code maxNewTokens} after {@code prompt}; {@code onText} receives each piece of text as soon
     * as it is complete. Stops at a stop token or when the context is full.
     */
    public GenerationResult generate(int[] prompt, int maxNewTokens, Sampler sampler, Consumer<String> onText) {
        if (prompt.length == 0) throw new IllegalArgumentException("empty prompt: at least one token (BOS) is needed");
        if (prompt.length >= contextLength) {
            throw new IllegalArgumentException("the prompt has " + prompt.length + " tokens; the context holds " + contextLength);
        }
        InferenceState state = model.newState(contextLength, batchSize);

        long t0 = System.nanoTime();
        for (int done = 0; done < prompt.length; ) {
            int n = Math.min(state.maxBatch(), prompt.length - done);
            model.forward(state, prompt, done, n, done, false);
            done += n;
        }
        long prefill = System.nanoTime() - t0;

        TextStream text = tokenizer.newStream();
        for (int t : prompt) text.push(t); // so the first generated piece knows whether it starts the text
        int[] out = new int[Math.max(0, maxNewTokens)];
        int count = 0;
        int pos = prompt.length;
        GenerationResult.StopReason reason = GenerationResult.StopReason.LENGTH;
        long t1 = System.nanoTime();
        int[] one = new int[1];
        while (count < maxNewTokens) {
            int next = sampler.sample(state.logits(), 0);
            if (tokenizer.isStop(next)) {
                reason = GenerationResult.StopReason.STOP_TOKEN;
                break;
            }
            out[count++] = next;
            String piece = text.push(next);
            if (!piece.isEmpty()) onText.accept(piece);
            if (count == maxNewTokens) break;
            if (pos >= contextLength) {
                reason = GenerationResult.StopReason.CONTEXT_FULL;
                break;
            }
            one[0] = next;
            model.forward(state, one, 0, 1, pos++, false);
        }
        long decode = System.nanoTime() - t1;
        String rest = text.flush();
        if (!rest.isEmpty()) onText.accept(rest);
        return new GenerationResult(prompt.clone(), Arrays.copyOf(out, count), prefill, decode, reason);
    }
}
