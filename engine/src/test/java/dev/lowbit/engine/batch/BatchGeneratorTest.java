package dev.lowbit.engine.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.Golden;
import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.generate.Generator;
import dev.lowbit.engine.sampling.Sampler;
import dev.lowbit.engine.sampling.SamplerSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Continuous batching on the real stories260K model, against {@link Generator} run one request at a time. */
class BatchGeneratorTest {
    private static final int CHUNK = 16;
    private static LoadedModel m;

    @BeforeAll
    static void load() {
        m = ModelLoader.load(Golden.MODEL, Golden.TOKENIZER, 2);
    }

    @AfterAll
    static void close() {
        m.close();
    }

    /** Collects one sequence's text and its end. */
    static final class Collector implements SequenceSink {
        final StringBuilder text = new StringBuilder();
        final CompletableFuture<Completion> done = new CompletableFuture<>();
        volatile int stopAfterPieces = Integer.MAX_VALUE;
        int pieces;

        @Override public boolean text(String piece) {
            text.append(piece);
            return ++pieces < stopAfterPieces;
        }

        @Override public void finished(Completion c) {
            done.complete(c);
        }

        Completion await() throws Exception {
            return done.get(60, TimeUnit.SECONDS);
        }
    }

    private static SequenceRequest request(String prompt, int max, SamplerSettings s, List<String> stops) {
        return new SequenceRequest(m.tokenizer().encode(prompt, true, false), max, s, stops);
    }

    private static String alone(SequenceRequest r) {
        Generator g = new Generator(m.model(), m.tokenizer(), 256, CHUNK);
        StringBuilder sb = new StringBuilder();
        g.generate(r.prompt(), r.maxTokens(), new Sampler(r.sampling(), m.model().config().vocabSize()), sb::append);
        return sb.toString();
    }

    @Test
    void concurrentSequencesGiveTheTextsEachGivesAloneWhileJoiningAndLeaving() throws Exception {
        String[] prompts = {"Once upon a time", "The little dog", "Lily and Tom went to the park. They saw a big", "One day", "Sam had a red ball"};
        int[] max = {40, 25, 60, 10, 33};
        List<SequenceRequest> requests = new ArrayList<>();
        for (int i = 0; i < prompts.length; i++) {
            SamplerSettings s = i % 2 == 0 ? SamplerSettings.greedy() : new SamplerSettings(0.9f, 40, 0.95f, 0.02f, 100 + i);
            requests.add(request(prompts[i], max[i], s, List.of()));
        }
        // Three slots for five requests: two wait, and join as others leave (their lengths differ).
        try (BatchGenerator b = new BatchGenerator(m.model(), m.tokenizer(), 3, 256, 8, CHUNK)) {
            List<Collector> got = new ArrayList<>();
            for (SequenceRequest r : requests) {
                Collector c = new Collector();
                got.add(c);
                assertTrue(b.submit(r, c) != null);
            }
            for (int i = 0; i < requests.size(); i++) {
                Completion c = got.get(i).await();
                assertEquals(alone(requests.get(i)), got.get(i).text.toString(), "request " + i);
                assertEquals(requests.get(i).prompt().length, c.promptTokens());
                assertTrue(c.reason() == FinishReason.LENGTH || c.reason() == FinishReason.STOP, c.reason().toString());
                if (c.reason() == FinishReason.LENGTH) assertEquals(max[i], c.completionTokens());
            }
        }
    }

    @Test
    void aSlotKeepsItsPrefixForTheNextRequestThatStartsTheSame() throws Exception {
        try (BatchGenerator b = new BatchGenerator(m.model(), m.tokenizer(), 2, 256, 4, CHUNK)) {
            SequenceRequest first = request("Once upon a time, there was a little girl", 8, SamplerSettings.greedy(), List.of());
            Collector c1 = new Collector();
            b.submit(first, c1);
            assertEquals(0, c1.await().reusedTokens());
            SequenceRequest second = request("Once upon a time, there was a little girl named Sue", 8, SamplerSettings.greedy(), List.of());
            Collector c2 = new Collector();
            b.submit(second, c2);
            int reused = c2.await().reusedTokens(); // the first prompt, and more when its reply began with " named"
            assertTrue(reused >= first.prompt().length && reused < second.prompt().length, "reused " + reused);
            assertEquals(alone(second), c2.text.toString());
        }
    }

    @Test
    void stopStringsEndTheTextBeforeThemAndALeavingClientCancels() throws Exception {
        SequenceRequest r = request("Once upon a time", 60, SamplerSettings.greedy(), List.of());
        String full = alone(r);
        String stop = full.substring(20, 24);
        try (BatchGenerator b = new BatchGenerator(m.model(), m.tokenizer(), 2, 256, 4, CHUNK)) {
            Collector stopped = new Collector();
            b.submit(request("Once upon a time", 60, SamplerSettings.greedy(), List.of(stop)), stopped);
            assertEquals(FinishReason.STOP, stopped.await().reason());
            assertEquals(full.substring(0, full.indexOf(stop)), stopped.text.toString());

            Collector leaving = new Collector();
            leaving.stopAfterPieces = 3;
            b.submit(r, leaving);
            Completion c = leaving.await();
            assertEquals(FinishReason.CANCELLED, c.reason());
            assertEquals(3, c.completionTokens());
        }
    }

    @Test
    void aFullQueueRefusesAndAPromptLongerThanTheContextIsRefused() throws Exception {
        try (BatchGenerator b = new BatchGenerator(m.model(), m.tokenizer(), 1, 64, 1, CHUNK)) {
            assertThrows(IllegalArgumentException.class, () -> b.submit(new SequenceRequest(new int[64], 1, SamplerSettings.greedy(), List.of()), new Collector()));
            List<Collector> cs = new ArrayList<>();
            int refused = 0;
            for (int i = 0; i < 6; i++) {
                Collector c = new Collector();
                if (b.submit(request("Once upon a time", 40, SamplerSettings.greedy(), List.of()), c) == null) refused++;
                else cs.add(c);
            }
            assertTrue(refused >= 3, "one slot and a queue of one take at most 3 of 6 at once, refused " + refused);
            for (Collector c : cs) assertEquals(FinishReason.LENGTH, c.await().reason());
        }
    }

    @Test
    void shutdownLetsRunningSequencesFinishWithinItsGraceAndThenRefuses() throws Exception {
        BatchGenerator b = new BatchGenerator(m.model(), m.tokenizer(), 2, 256, 4, CHUNK);
        Collector c = new Collector();
        b.submit(request("Once upon a time", 30, SamplerSettings.greedy(), List.of()), c);
        b.shutdown(Duration.ofSeconds(30));
        assertEquals(FinishReason.LENGTH, c.await().reason());
        assertNull(b.submit(request("Once", 3, SamplerSettings.greedy(), List.of()), new Collector()));
    }
}
