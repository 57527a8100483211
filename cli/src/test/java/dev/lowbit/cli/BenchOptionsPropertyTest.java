package dev.lowbit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * {@code lowbit bench} over every model format here ({@link ModelSources}; a truncated file, a file of another kind, a
 * missing one) × prompt and generation
 * lengths at and past the context × repetitions, threads, parallel sequences and warm-up at and past their limits ×
 * options that belong to {@code --synthetic}: a table with a row per test, or one error line and a non-zero exit.
 * {@code --synthetic} runs the tiny shape with every format, group and embedding precision, and llama-1b only where it must be
 * refused (a 1B model is too large for the suite).
 */
class BenchOptionsPropertyTest {
    private static Path dir;
    private static List<List<String>> valid;
    private static List<String> broken;

    @BeforeContainer
    static void files() throws IOException {
        dir = Files.createTempDirectory("lowbit-prop-bench");
        ModelSources sources = ModelSources.write(dir);
        Path lowbit = sources.all().getLast().path();
        byte[] whole = Files.readAllBytes(lowbit);
        valid = sources.all().stream().map(ModelSources.Source::positionalArgs).toList();
        broken = List.of(Files.write(dir.resolve("cut.lowbit"), Arrays.copyOf(whole, whole.length / 3)).toString(),
                Files.writeString(dir.resolve("notes.gguf"), "not a model").toString(), dir.resolve("missing.bin").toString());
    }

    @AfterContainer
    static void clean() throws IOException {
        CliTest.deleteTree(dir);
    }

    @Property(seed = "20261207")
    void everyCombinationEndsCleanly(@ForAll("runs") List<String> args) {
        CliTest.Run r = CliTest.run(args.toArray(String[]::new));
        String what = String.join(" ", args) + " -> exit " + r.exit() + ": " + r.err().strip();
        Statistics.collect(r.exit() == 0 ? "measured" : "refused");
        assertFalse(r.err().contains("internal error") || r.err().contains("\tat "), what);
        if (r.exit() == 0) {
            long rows = r.out().lines().filter(l -> l.matches("\\|.*\\| +(pp|tg)\\d+.*\\|")).count();
            assertTrue(rows > 0, "a measured row: " + what + "\n" + r.out());
            assertTrue(r.out().lines().filter(l -> l.contains("t/s") || l.matches("\\|.*(pp|tg)\\d+.*")).noneMatch(l -> l.contains("NaN")), what);
        } else {
            assertEquals(1, r.err().lines().filter(l -> l.startsWith("lowbit:")).count(), "one error line: " + what);
        }
    }

    @Provide
    Arbitrary<List<String>> runs() {
        // Inputs that should run are drawn three times as often as those that must be refused.
        Arbitrary<List<String>> model = Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.of(valid)),
                Tuple.of(1, Arbitraries.of(broken).map(List::of)),
                Tuple.of(1, Arbitraries.of(List.of("--synthetic", "llama-7b"), List.of("--synthetic", "llama-1b", "--format", "int9"),
                        List.of("--synthetic", "llama-1b", broken.getLast()), List.of("--synthetic", "llama-1b", "--embeddings", "5"), List.of())));
        Arbitrary<String> format = Arbitraries.of("f32", "int4", "int4-asym", "int3", "int2", "int1", "e2m1", "nf4", "mxfp4", "nf4/g64", "int4/g48", "int5", "nf4/64");
        Arbitrary<List<String>> tiny = Combinators.combine(format.list().ofMinSize(1).ofMaxSize(2), Arbitraries.of("6", "8", "16", "32", "7"),
                        Arbitraries.frequencyOf(Tuple.of(4, Arbitraries.just("--no-fork")), Tuple.of(1, Arbitraries.just("--fork"))))
                .as((f, e, fork) -> List.of("--synthetic", "tiny", "--format", String.join(",", f), "--embeddings", e, fork));
        model = Arbitraries.frequencyOf(Tuple.of(3, model), Tuple.of(1, tiny));
        Arbitrary<List<String>> lengths = Combinators.combine(
                        Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.of("0", "1", "7", "128", "512")), Tuple.of(1, Arbitraries.of("513", "-1"))),
                        Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.of("0", "1", "5", "128", "512")), Tuple.of(1, Arbitraries.of("513", "-2"))))
                .as((p, n) -> List.of("-p", p, "-n", n));
        Arbitrary<List<String>> runs = Arbitraries.frequencyOf(
                Tuple.of(3, Arbitraries.of(List.of("-r", "2"), List.of("-t", "1,2"), List.of("-np", "3"), List.of("-np", "64"), List.of())),
                Tuple.of(1, Arbitraries.of(List.of("-r", "0"), List.of("-t", "0"), List.of("-np", "65"), List.of("--warmup", "-1"),
                        List.of("--format", "int4"), List.of("--embeddings", "8"), List.of("--no-fork"))));
        return Combinators.combine(model, lengths, runs).as((m, l, o) -> {
            List<String> args = new ArrayList<>(List.of("bench"));
            for (List<String> fast : List.of(List.of("--warmup", "0"), List.of("-r", "1"), List.of("-t", "1"))) {
                if (!o.contains(fast.getFirst())) args.addAll(fast);
            }
            args.addAll(m);
            args.addAll(l);
            args.addAll(o);
            return args;
        });
    }
}
