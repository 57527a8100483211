package dev.lowbit.engine.generate;

import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.sampling.Sampler;
import dev.lowbit.engine.tokenizer.TextStream;
import dev.lowbit.engine.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Prompt → prefill in batches → sample/decode loop, streaming text as it is produced. The KV cache is kept between
 * calls: a prompt that starts with what the last call processed (a chat's earlier turns) only prefills the rest.
 */
public final class Generator {
    private final LlamaModel model;
    private final Tokenizer tokenizer;
    private final int contextLength;
    private final int batchSize;
    private InferenceState state;
    /** The tokens whose keys and values the cache holds, in positions 0..cachedCount. */
    private final int[] cached;
    private int cachedCount;

    public Generator(LlamaModel model, Tokenizer tokenizer, int contextLength, int batchSize) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.contextLength = Math.min(contextLength, model.config().contextLength());
        this.batchSize = batchSize;
        this.cached = new int[this.contextLength];
    }

    public int contextLength() {
        return contextLength;
    }

    /** Forgets the cached prefix (a new conversation). */
    public void reset() {
        cachedCount = 0;
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
        if (state == null) state = model.newState(contextLength, batchSize);

        long t0 = System.nanoTime();
        // Reuse the cached prefix; the last prompt token always runs again, for its logits.
        int reuse = 0;
        while (reuse < cachedCount && reuse < prompt.length - 1 && cached[reuse] == prompt[reuse]) reuse++;
        for (int done = reuse; done < prompt.length; ) {
            int n = Math.min(state.maxBatch(), prompt.length - done);
            model.forward(state, prompt, done, n, done, false);
            done += n;
        }
        System.arraycopy(prompt, 0, cached, 0, prompt.length);
        cachedCount = prompt.length;
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
            model.forward(state, one, 0, 1, pos, false);
            cached[pos++] = next;
            cachedCount = pos;
        }
        long decode = System.nanoTime() - t1;
        String rest = text.flush();
        if (!rest.isEmpty()) onText.accept(rest);
        return new GenerationResult(prompt.clone(), Arrays.copyOf(out, count), prefill, decode, reason, prompt.length - reuse);
    }
}
