package dev.lowbit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * {@code lowbit generate} on every model format ({@link ModelSources}) over generated sampling and length options at and past their limits
 * (temperature 0 and huge, top-k 0 and past the vocabulary, top-p and min-p 0 and 1, -n and --ctx from 0 to far past
 * the model, batch 1, empty, odd and unpaired-surrogate prompts, --no-bos, --quantize presets), with or without one
 * invalid option: success, or one error line and a non-zero exit (always for the invalid option); never an internal
 * error.
 */
class GenerateOptionsPropertyTest {
    private static Path dir;
    private static ModelSources models;

    @BeforeContainer
    static void models() throws IOException {
        dir = Files.createTempDirectory("lowbit-prop-generate");
        models = ModelSources.write(dir);
    }

    @AfterContainer
    static void clean() throws IOException {
        CliTest.deleteTree(dir);
    }

    @Property(seed = "20261207")
    void everyCombinationEndsCleanly(@ForAll("model") ModelSources.Source model, @ForAll("options") List<String> options,
                                     @ForAll("invalid") List<String> invalid) {
        List<String> args = new ArrayList<>(List.of("generate", "-t", "1"));
        args.addAll(model.modelArgs());
        args.addAll(options);
        args.addAll(invalid);
        CliTest.Run g = CliTest.run(args.toArray(String[]::new));
        String what = String.join(" ", args.subList(1, args.size())) + " -> exit " + g.exit() + ": " + g.err().strip();
        Statistics.collect(model.name(), g.exit() == 0 ? "generated" : "refused with one line");
        assertFalse(g.err().contains("internal error"), what);
        // valid options may still meet a limit (a prompt longer than --ctx 2); an invalid one must be refused
        if (!invalid.isEmpty()) assertNotEquals(0, g.exit(), what);
        // progress and notes may come first; the error itself is one line of its own
        if (g.exit() != 0) assertEquals(1, g.err().lines().filter(l -> l.startsWith("lowbit:")).count(), "one error line: " + what);
    }

    @Provide
    Arbitrary<ModelSources.Source> model() {
        return Arbitraries.of(models.all());
    }

    /** Values at and past the limits that are still valid. */
    @Provide
    Arbitrary<List<String>> options() {
        Arbitrary<List<String>> temperature = Arbitraries.of("0", "0.0001", "0.8", "5", "1e30").map(t -> List.of("--temperature", t));
        Arbitrary<List<String>> topK = Arbitraries.of("0", "1", "40", "100000").map(k -> List.of("--top-k", k));
        Arbitrary<List<String>> topP = Arbitraries.of("1e-9", "0.5", "1").map(p -> List.of("--top-p", p));
        Arbitrary<List<String>> minP = Arbitraries.of("0", "0.5", "1").map(p -> List.of("--min-p", p));
        Arbitrary<List<String>> length = Arbitraries.of("0", "1", "40", "100000").map(n -> List.of("-n", n));
        Arbitrary<List<String>> ctx = Arbitraries.of(List.of(), List.of("--ctx", "2"), List.of("--ctx", "8"), List.of("--ctx", "512"),
                List.of("--ctx", "1000000"), List.of("--batch", "1"));
        Arbitrary<List<String>> prompt = Arbitraries.of("", "Once", "\n\n\t", "\uD800 unpaired", "é漢字🙂", "Once upon a time ".repeat(60))
                .map(p -> List.of("-p", p));
        Arbitrary<List<String>> extra = Arbitraries.of(List.of(), List.of("--no-bos"), List.of("--quantize", "int4"), List.of("--quantize", "nf4/g64"),
                List.of("--seed", "-5"));
        return Combinators.combine(temperature, topK, topP, minP, length, ctx, prompt, extra).as((a, b, c, d, e, f, g, h) -> {
            List<String> all = new ArrayList<>();
            for (List<String> part : List.of(a, b, c, d, e, f, g, h)) all.addAll(part);
            return all;
        });
    }

    /** Nothing (most often) or one invalid option, which must be refused in one line. */
    @Provide
    Arbitrary<List<String>> invalid() {
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, Arbitraries.just(List.<String>of())),
                net.jqwik.api.Tuple.of(4, Arbitraries.of(List.of("--temperature", "-1"), List.of("--temperature", "NaN"), List.of("--top-k", "-3"),
                        List.of("--top-p", "0"), List.of("--top-p", "1.5"), List.of("--min-p", "2"), List.of("-n", "-1"), List.of("--ctx", "0"),
                        List.of("--batch", "0"), List.of("--quantize", "int9"), List.of("-t", "0"))));
    }
}
