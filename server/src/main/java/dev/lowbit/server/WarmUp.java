package dev.lowbit.server;

import dev.lowbit.engine.batch.BatchGenerator;
import dev.lowbit.engine.batch.Completion;
import dev.lowbit.engine.batch.SequenceRequest;
import dev.lowbit.engine.batch.SequenceSink;
import dev.lowbit.engine.sampling.SamplerSettings;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the generator on throwaway sequences before the server says it is ready, as llama-server runs a warm-up
 * decode: a prompt chunk (the batched product) and decoding steps of all slots together (the one-token kernel), round
 * after round until a round is no faster than the one before, so that C2 has compiled what requests will run and the
 * first client waits no longer than later ones.
 */
final class WarmUp {
    private static final int MAX_ROUNDS = 12;

    private WarmUp() {}

    /** Returns the rounds run. */
    static int run(BatchGenerator g, int vocab, int promptTokens) throws InterruptedException {
        int[] prompt = new int[Math.min(promptTokens, g.contextLength() / 2)];
        for (int i = 0; i < prompt.length; i++) prompt[i] = (i * 7919 + 1) % vocab;
        long previous = Long.MAX_VALUE;
        for (int round = 1; round <= MAX_ROUNDS; round++) {
            prompt[0] = round % vocab; // a new prefix each round, so no slot reuses its cache
            int sequences = Math.min(2, g.parallel()); // one and several rows per step run the same code from two on
            CountDownLatch done = new CountDownLatch(sequences);
            long t0 = System.nanoTime();
            for (int s = 0; s < sequences; s++) {
                SequenceSink sink = new SequenceSink() {
                    @Override public boolean text(String piece) { return true; }
                    @Override public void finished(Completion c) { done.countDown(); }
                };
                if (g.submit(new SequenceRequest(prompt, 4, SamplerSettings.greedy(), List.of()), sink) == null) done.countDown();
            }
            done.await();
            long took = System.nanoTime() - t0;
            if (round >= 3 && took > 0.8 * previous) return round;
            previous = Math.min(previous, took);
        }
        return MAX_ROUNDS;
    }
}
