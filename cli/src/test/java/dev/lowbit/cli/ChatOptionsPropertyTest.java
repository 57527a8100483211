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
 * {@code lowbit chat} on every model format ({@link ModelSources}) fed generated conversations on standard input (empty lines, /reset, /exit midway, very long
 * and odd-character messages, no final newline) with contexts, reply lengths, system messages and templates (built-in,
 * a valid .jinja file, one with a syntax error, one that raises, a missing one) at their limits: success, or one error
 * line and a non-zero exit; never an internal error.
 */
class ChatOptionsPropertyTest {
    private static Path dir;
    private static List<String> templates;
    private static ModelSources models;

    @BeforeContainer
    static void files() throws IOException {
        dir = Files.createTempDirectory("lowbit-prop-chat");
        models = ModelSources.write(dir);
        templates = List.of("", "chatml", "llama3", "llama2",
                Files.writeString(dir.resolve("plain.jinja"), "{% for m in messages %}{{ m.role }}: {{ m.content }}\n{% endfor %}assistant:").toString(),
                Files.writeString(dir.resolve("broken.jinja"), "{% for m in messages %}{{ m.content }").toString(),
                Files.writeString(dir.resolve("raises.jinja"), "{{ raise_exception('only one message, please') }}").toString(),
                dir.resolve("missing.jinja").toString(), "vicuna");
    }

    @AfterContainer
    static void clean() throws IOException {
        CliTest.deleteTree(dir);
    }

    @Property(seed = "20261207")
    void everyConversationEndsCleanly(@ForAll("model") ModelSources.Source model, @ForAll("options") List<String> options, @ForAll("input") String input) {
        List<String> args = new ArrayList<>(List.of("-t", "1"));
        args.addAll(model.modelArgs());
        args.addAll(options);
        CliTest.Run r = ChatCliTest.chat(input, args.toArray(String[]::new));
        String what = "chat " + String.join(" ", args) + " <<< " + input.replace("\n", "\\n") + " -> exit " + r.exit() + ": " + r.err().strip();
        Statistics.collect(model.name(), r.exit() == 0 ? "chatted" : "refused");
        assertFalse(r.err().contains("internal error") || r.err().contains("\tat "), what);
        if (r.exit() != 0) assertEquals(1, r.err().lines().filter(l -> l.startsWith("lowbit:")).count(), "one error line: " + what);
        if (options.contains("-n") && options.get(options.indexOf("-n") + 1).equals("0")) assertNotEquals(0, r.exit(), what);
    }

    @Provide
    Arbitrary<ModelSources.Source> model() {
        return Arbitraries.of(models.all());
    }

    @Provide
    Arbitrary<List<String>> options() {
        Arbitrary<List<String>> ctx = Arbitraries.of(List.of(), List.of("--ctx", "16"), List.of("--ctx", "40"), List.of("--ctx", "100000"));
        Arbitrary<List<String>> reply = Arbitraries.of(List.of("-n", "0"), List.of("-n", "1"), List.of("-n", "30"), List.of("-n", "100000"));
        Arbitrary<List<String>> system = Arbitraries.of(List.of(), List.of("--system", ""), List.of("--system", "Be kind. ".repeat(50)));
        Arbitrary<List<String>> template = Arbitraries.of(templates).map(t -> t.isEmpty() ? List.of() : List.of("--template", t));
        Arbitrary<List<String>> sampling = Arbitraries.of(List.of("--temperature", "0"), List.of("--seed", "3"), List.of("--top-k", "1", "--min-p", "0.9"));
        return Combinators.combine(ctx, reply, system, template, sampling).as((a, b, c, d, e) -> {
            List<String> all = new ArrayList<>();
            for (List<String> part : List.of(a, b, c, d, e)) all.addAll(part);
            return all;
        });
    }

    /** Lines of a conversation, joined with newlines, sometimes without a final one. */
    @Provide
    Arbitrary<String> input() {
        Arbitrary<String> line = Arbitraries.of("Hello", "", "   ", "/reset", "/exit", "Tell me a story", "é漢字🙂 \u0000 \t", "word ".repeat(120),
                "{{ 7 * 7 }} {% raw %}", "<s> [INST] </s>");
        return line.list().ofMinSize(0).ofMaxSize(5).flatMap(lines -> Arbitraries.of("\n", "").map(end -> String.join("\n", lines) + end));
    }
}
