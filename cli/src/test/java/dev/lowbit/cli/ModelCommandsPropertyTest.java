package dev.lowbit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.format.gguf.GgufSources;
import dev.lowbit.engine.format.hf.HfFolderWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * {@code ppl}, {@code kld}, {@code inspect} and {@code verify} over every model format lowbit reads here (the real
 * stories260K as llama2.c, GGUF F32, F16, Q8_0 and Q4_0, a sharded Hugging Face folder and a quantized {@code .lowbit}; a random-weight
 * Q4_K GGUF; a truncated
 * {@code .lowbit}; a file of another kind),
 * right, wrong and missing tokenizers, texts that are empty, one word, not UTF-8 or binary, and window and batch
 * sizes at their limits: success, or one error line and a non-zero exit; never an internal error.
 */
class ModelCommandsPropertyTest {
    private static Path dir;
    private static List<String> models, tokenizers, texts;

    @BeforeContainer
    static void files() throws IOException {
        dir = Files.createTempDirectory("lowbit-prop-models");
        String bin = SharedData.require("models/stories260K/stories260K.bin").toString();
        Path gguf = Files.write(dir.resolve("stories260K.gguf"), GgufSources.stories("F32"));
        List<String> ggufs = new ArrayList<>(List.of(gguf.toString()));
        for (String type : List.of("F16", "Q8_0", "Q4_0")) ggufs.add(Files.write(dir.resolve("stories-" + type + ".gguf"), GgufSources.stories(type)).toString());
        ggufs.add(Files.write(dir.resolve("random-Q4_K.gguf"), GgufSources.q4K()).toString());
        Path lowbit = dir.resolve("stories-int4.lowbit");
        CliTest.Run q = CliTest.run("quantize", bin, lowbit.toString(), "--bits", "4", "-t", "1");
        if (q.exit() != 0) throw new IllegalStateException("quantize failed: " + q.err());
        byte[] whole = Files.readAllBytes(lowbit);
        Path cut = Files.write(dir.resolve("cut.lowbit"), Arrays.copyOf(whole, whole.length / 2));
        Path other = Files.writeString(dir.resolve("notes.gguf"), "not a model at all");
        Path hf = dir.resolve("stories-hf");
        HfFolderWriter.write(hf, HfFolderWriter.stories(), false, 2); // two shards and an index; no tokenizer.json (--tokenizer gives one)
        List<String> all = new ArrayList<>(ggufs);
        all.addAll(List.of(bin, lowbit.toString(), cut.toString(), other.toString(), dir.resolve("missing.bin").toString(), hf.toString()));
        models = List.copyOf(all);
        tokenizers = List.of("", SharedData.require("models/stories260K/tok512.bin").toString(), gguf.toString(), other.toString(),
                dir.resolve("missing.model").toString());
        texts = List.of(SharedData.require("data/tinystories/tinystories_sample.txt").toString(),
                Files.writeString(dir.resolve("empty.txt"), "").toString(),
                Files.writeString(dir.resolve("word.txt"), "Once").toString(),
                Files.write(dir.resolve("latin1.txt"), "caf\u00e9 na\u00efve".getBytes(StandardCharsets.ISO_8859_1)).toString(),
                Files.write(dir.resolve("binary.txt"), new byte[] {0, (byte) 0xFF, (byte) 0xFE, 10, 0, 7}).toString(),
                dir.resolve("missing.txt").toString());
    }

    @AfterContainer
    static void clean() throws IOException {
        CliTest.deleteTree(dir);
    }

    @Property(seed = "20261207")
    void everyCommandOnEveryInputEndsCleanly(@ForAll("commands") List<String> args) {
        CliTest.Run r = CliTest.run(args.toArray(String[]::new));
        String what = String.join(" ", args) + " -> exit " + r.exit() + ": " + r.err().strip();
        Statistics.collect(args.getFirst(), r.exit() == 0 ? "ran" : "refused");
        assertFalse(r.err().contains("internal error") || r.err().contains("\tat "), what);
        if (r.exit() != 0) assertEquals(1, r.err().lines().filter(l -> l.startsWith("lowbit:")).count(), "one error line: " + what);
    }

    @Provide
    Arbitrary<List<String>> commands() {
        Arbitrary<String> model = Arbitraries.of(models), tokenizer = Arbitraries.of(tokenizers), text = Arbitraries.of(texts);
        Arbitrary<List<String>> window = Arbitraries.of(List.of(), List.of("--ctx", "1"), List.of("--ctx", "2"), List.of("--ctx", "64"),
                List.of("--ctx", "100000"), List.of("--chunks", "1"), List.of("--batch", "1"), List.of("--batch", "7"));
        Arbitrary<List<String>> ppl = Combinators.combine(model, tokenizer, text, window)
                .as((m, t, f, w) -> with(List.of("ppl", "-t", "1", "-m", m, "--text", f), t, w));
        Arbitrary<List<String>> kld = Combinators.combine(model, model, text, window)
                .as((b, m, f, w) -> with(List.of("kld", "-t", "1", "--base", b, "-m", m, "--text", f), "", w));
        Arbitrary<List<String>> inspectOptions = Arbitraries.of(List.of(), List.of("--tensors"), List.of("--ctx", "3"));
        Arbitrary<List<String>> inspect = Combinators.combine(model, tokenizer, inspectOptions)
                .as((m, t, o) -> with(List.of("inspect", m), t, o));
        Arbitrary<List<String>> verify = model.map(m -> List.of("verify", m));
        return Arbitraries.oneOf(ppl, kld, inspect, verify);
    }

    private static List<String> with(List<String> base, String tokenizer, List<String> options) {
        List<String> args = new ArrayList<>(base);
        if (!tokenizer.isEmpty()) args.addAll(List.of("--tokenizer", tokenizer));
        args.addAll(options);
        return args;
    }
}
