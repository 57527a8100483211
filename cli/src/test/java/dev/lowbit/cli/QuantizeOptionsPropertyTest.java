package dev.lowbit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.format.gguf.GgufSources;
import dev.lowbit.engine.format.hf.HfFolderWriter;
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
 * {@code lowbit quantize} over generated combinations of valid-looking options (method, grid and bits, group sizes
 * that do and do not divide the width, {@code --keep}, {@code --embeddings}, {@code --layout}, {@code --sym},
 * {@code --search}) on stories260K as a llama2.c file, GGUF files (F32, F16, Q8_0, Q4_0), a bf16 Hugging Face folder and an int8
 * {@code .lowbit} (re-quantized), and on a random-weight Q4_K GGUF: each run
 * either writes a file that {@code verify} accepts and {@code generate} runs, or fails with one line and a non-zero exit. Never an internal error, never a file left behind by a failure.
 * A fixed seed and a bounded number of tries keep it in the suite; {@code -Djqwik.tries.default=N} runs more.
 */
class QuantizeOptionsPropertyTest {
    private static final Path MODEL = SharedData.require("models/stories260K/stories260K.bin");
    private static Path sources;
    private static List<String> models;

    /** The same real model in the formats lowbit quantizes from, and a Q4_K GGUF. */
    @BeforeContainer
    static void sources() throws IOException {
        sources = Files.createTempDirectory("lowbit-prop-sources");
        List<String> all = new ArrayList<>(List.of(MODEL.toString()));
        for (String type : List.of("F32", "F16", "Q8_0", "Q4_0")) {
            all.add(Files.write(sources.resolve("stories-" + type + ".gguf"), GgufSources.stories(type)).toString());
        }
        all.add(Files.write(sources.resolve("random-Q4_K.gguf"), GgufSources.q4K()).toString());
        Path int8 = sources.resolve("stories-int8.lowbit");
        CliTest.Run q = CliTest.run("quantize", MODEL.toString(), int8.toString(), "--bits", "8", "-t", "1");
        if (q.exit() != 0) throw new IllegalStateException("quantize failed: " + q.err());
        Path hf = sources.resolve("stories-hf");
        HfFolderWriter.write(hf, HfFolderWriter.stories(), true, 1); // bf16 safetensors
        all.addAll(List.of(int8.toString(), hf.toString()));
        models = List.copyOf(all);
    }

    @AfterContainer
    static void removeSources() throws IOException {
        CliTest.deleteTree(sources);
    }

    @Property(seed = "20261207")
    void everyCombinationEndsCleanly(@ForAll("options") List<String> options, @ForAll("source") String source) throws Exception {
        Path dir = Files.createTempDirectory("lowbit-prop");
        Path out = dir.resolve("q.lowbit");
        List<String> args = new ArrayList<>(List.of("quantize", source, out.toString()));
        if (Files.isDirectory(Path.of(source))) args.addAll(List.of("--tokenizer", SharedData.require("models/stories260K/tok512.bin").toString()));
        args.addAll(options);
        if (options.contains("awq") || options.contains("gptq") || options.contains("discquant")) {
            Path calib = Files.writeString(dir.resolve("calib.txt"), "Once upon a time, there was a little girl named Lily. ".repeat(40));
            args.addAll(List.of("--calib", calib.toString(), "--calib-samples", "4", "--calib-len", "64"));
        }
        CliTest.Run q = CliTest.run(args.toArray(String[]::new));
        String what = Path.of(source).getFileName() + " " + String.join(" ", options) + " -> exit " + q.exit() + ": " + q.err().strip();
        Statistics.collect(Path.of(source).getFileName().toString(), q.exit() == 0 ? "written, verified, generated" : "refused with one line");
        assertFalse(q.err().contains("internal error"), what);
        if (q.exit() == 0) {
            CliTest.Run v = CliTest.run("verify", out.toString());
            assertEquals(0, v.exit(), what + " / verify: " + v.err());
            CliTest.Run g = CliTest.run("generate", "-m", out.toString(), "-n", "4", "--temperature", "0", "-t", "1", "--no-cache");
            assertEquals(0, g.exit(), what + " / generate: " + g.err());
        } else {
            assertEquals(1, q.err().lines().filter(l -> l.startsWith("lowbit:")).count(), "one error line: " + what);
            assertFalse(Files.exists(out), "no file after a failure: " + what);
        }
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(f -> f.getFileName().toString().endsWith(".partial")), "no temporary file left: " + what);
        }
    }

    @Provide
    Arbitrary<String> source() {
        return Arbitraries.of(models);
    }

    @Provide
    Arbitrary<List<String>> options() {
        Arbitrary<List<String>> method = Arbitraries.of(List.of(), List.of("--method", "rtn"), List.of("--method", "awq"), List.of("--method", "gptq"),
                List.of("--method", "discquant", "--steps", "2", "--batch", "2"));
        Arbitrary<List<String>> grid = Arbitraries.oneOf(
                Arbitraries.integers().between(1, 8).map(b -> List.of("--grid", "int", "--bits", String.valueOf(b))),
                Arbitraries.of("e2m1", "nf4", "mxfp4", "e3m2", "e4m3", "codebook:-1,0,0.5,1").map(g -> List.of("--grid", g)));
        Arbitrary<List<String>> group = Arbitraries.of("32", "64", "128", "row", "48", "16").map(g -> List.of("--group", g));
        Arbitrary<List<String>> extra = Arbitraries.of(List.of(), List.of("--keep", "*attn_q*"), List.of("--keep", "output"),
                List.of("--embeddings", "8"), List.of("--layout", "rows"), List.of("--sym"), List.of("--search"));
        return Combinators.combine(method, grid, group, extra).as((m, gr, g, e) -> {
            List<String> all = new ArrayList<>(m);
            all.addAll(gr);
            all.addAll(g);
            all.addAll(e);
            return all;
        });
    }
}
