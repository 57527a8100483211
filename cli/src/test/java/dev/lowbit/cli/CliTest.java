package dev.lowbit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.format.GgufCache;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
    record Run(int exit, String out, String err) {}

    static Run run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int exit = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(exit, out.toString(), err.toString());
    }

    /** Deletes a temporary folder and everything in it (the property tests' inputs). */
    static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) Files.delete(p);
        }
    }

    static String goldenJson() throws Exception {
        return Files.readString(SharedData.require("models/stories260K/golden_reference.json"));
    }

    @Test
    void greedyGenerateOnTheDefaultModelPrintsTheGoldenText() throws Exception {
        Run r = run("generate", "--temperature", "0", "-n", "20", "-t", "1");
        assertEquals(0, r.exit(), r.err());
        // SOURCES.md: the first 20 greedy ids decode to ", there was a little girl named Lily. She loved to play outsid".
        Matcher m = Pattern.compile("\"text_256_steps\"\\s*:\\s*\"([^\"]{60})").matcher(goldenJson());
        assertTrue(m.find());
        assertTrue(r.out().startsWith(m.group(1)), r.out());
        assertEquals("Once upon a time, there was a little girl named Lily. She loved to play outsid\n", r.out());
        assertTrue(r.err().matches("(?s).*prompt: 5 tokens, [0-9.]+ tokens/s \\| generation: 20 tokens, [0-9.]+ tokens/s.*"), r.err());
    }

    @Test
    void sameSeedSameTextDifferentSeedDifferentText() {
        Run a = run("generate", "-n", "40", "--seed", "5", "--temperature", "1");
        Run b = run("generate", "-n", "40", "--seed", "5", "--temperature", "1", "-t", "1");
        Run c = run("generate", "-n", "40", "--seed", "6", "--temperature", "1");
        assertEquals(0, a.exit());
        assertEquals(a.out(), b.out());
        assertNotEquals(a.out(), c.out());
        assertTrue(a.err().contains("seed 5"));
    }

    @Test
    void perplexityOfTheGoldenWindow(@TempDir Path dir) throws Exception {
        String sample = Files.readString(SharedData.require("data/tinystories/tinystories_sample.txt"));
        Path story = dir.resolve("story.txt");
        Files.writeString(story, sample.split("<\\|endoftext\\|>")[0].strip());
        Run r = run("ppl", "--text", story.toString(), "--ctx", "256", "--chunks", "1");
        assertEquals(0, r.exit(), r.err());
        Matcher m = Pattern.compile("perplexity: ([0-9.]+) +\\(mean NLL ([0-9.]+) nats over 255 predicted tokens, 1 windows of 256").matcher(r.out());
        assertTrue(m.find(), r.out());
        Matcher g = Pattern.compile("\"mean_nll_nats\"\\s*:\\s*([0-9.]+)").matcher(goldenJson());
        assertTrue(g.find());
        assertEquals(Double.parseDouble(g.group(1)), Double.parseDouble(m.group(2)), 1e-3);
        assertTrue(r.err().contains("ETA"), "progress bar with ETA on stderr");
    }

    @Test
    void badModelGivesOneLineAndExitCodeOne(@TempDir Path dir) throws Exception {
        Path garbage = dir.resolve("garbage.bin");
        Files.write(garbage, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30});
        for (String cmd : new String[] {"generate", "ppl"}) {
            Run r = cmd.equals("ppl")
                    ? run(cmd, "-m", garbage.toString(), "--text", SharedData.require("data/tinystories/tinystories_sample.txt").toString())
                    : run(cmd, "-m", garbage.toString());
            assertEquals(1, r.exit());
            assertEquals("", r.out());
            assertTrue(r.err().startsWith("lowbit: error: " + garbage + ": "), r.err());
            assertEquals(1, r.err().lines().count(), r.err());
        }
        Run missing = run("generate", "-m", dir.resolve("missing.bin").toString());
        assertEquals("lowbit: error: " + dir.resolve("missing.bin") + ": file not found\n", missing.err());
        Run truncated = run("generate", "-m", write(dir, "t.bin", Files.readAllBytes(SharedData.require("models/stories260K/stories260K.bin")), 5000).toString(),
                "--tokenizer", SharedData.require("models/stories260K/tok512.bin").toString());
        assertEquals(1, truncated.exit());
        assertTrue(truncated.err().contains("truncated"), truncated.err());
    }

    private static Path write(Path dir, String name, byte[] data, int length) throws Exception {
        Path p = dir.resolve(name);
        Files.write(p, java.util.Arrays.copyOf(data, length));
        return p;
    }

    @Test
    void versionNamesTheKernelThatRunsAndWhy() {
        Run r = run("--version");
        assertEquals(0, r.exit(), r.err());
        String kernel = dev.lowbit.kernels.LutKernels.chosen().name();
        assertTrue(r.out().startsWith("lowbit 0.1.0\nJava 25"), r.out());
        assertTrue(r.out().contains("\ntable-lookup kernel: " + kernel + " ("), r.out());
    }

    @Test
    void badArgumentsAreOneClearLine() {
        Run r = run("generate", "--top-p", "3");
        assertEquals(1, r.exit());
        assertEquals("lowbit: error: top-p must be in (0, 1], got 3.0\n", r.err());
        Run unknown = run("generate", "--bogus");
        assertEquals(2, unknown.exit());
        assertTrue(unknown.err().startsWith("lowbit: Unknown option: '--bogus'"), unknown.err());
        Run noText = run("ppl");
        assertEquals(2, noText.exit());
        assertTrue(noText.err().contains("--text"), noText.err());
        Run badGroup = run("bench", "--synthetic", "llama-1b", "--format", "int4,nf4/64", "-p", "0", "-n", "1");
        assertEquals(1, badGroup.exit());
        assertEquals("lowbit: error: format 'nf4/64': after '/' give gN with N > 0 inputs per group, or grow\n", badGroup.err());
        assertEquals("", badGroup.out()); // rejected before any table or model is made
    }

    /** bench on a GGUF keeps and then maps lowbit's repacked copy, as generate does, unless told --no-cache. */
    @Test
    void benchKeepsTheRepackedCopyOfAGguf(@TempDir Path dir) throws Exception {
        Path gguf = Files.write(dir.resolve("bench-cache-Q4_0.gguf"), dev.lowbit.engine.format.gguf.GgufSources.stories("Q4_0"));
        GgufCache cache = new GgufCache(GgufCache.defaultDir());
        String[] args = {"bench", gguf.toString(), "-p", "0", "-n", "2", "-r", "1", "-t", "1", "--warmup", "0"};
        Run uncached = run(append(args, "--no-cache"));
        assertEquals(0, uncached.exit(), uncached.err());
        assertNull(cache.find(gguf), "--no-cache writes no copy");
        Run first = run(args);
        assertEquals(0, first.exit(), first.err());
        Path copy = cache.find(gguf);
        assertNotNull(copy, "the first load writes the copy");
        long written = Files.getLastModifiedTime(copy).toMillis();
        Run second = run(args);
        assertEquals(0, second.exit(), second.err());
        assertEquals(written, Files.getLastModifiedTime(copy).toMillis(), "the second load maps the copy, not rewrites it");
        assertTrue(second.out().contains("| bench-cache-Q4_0.gguf    | gguf (lowbit copy) |"), second.out());
        Files.delete(copy);
    }

    private static String[] append(String[] args, String arg) {
        String[] all = java.util.Arrays.copyOf(args, args.length + 1);
        all[args.length] = arg;
        return all;
    }

    @Test
    void benchMeasuresEachFormatInItsOwnJvm() {
        Run r = run("bench", "--synthetic", "tiny", "--format", "int4,int2", "-p", "0", "-n", "4", "-r", "1", "-t", "1");
        assertEquals(0, r.exit(), r.err());
        String[] lines = r.out().split("\n");
        // the kernel, header, rule, one row per format from the forked JVMs, in order
        assertEquals(5, lines.length, r.out());
        assertEquals("table-lookup kernel: " + dev.lowbit.kernels.LutKernels.describe(), lines[0]);
        assertTrue(lines[1].startsWith("| model"), r.out());
        assertTrue(lines[3].matches("\\| tiny \\(synthetic\\) +\\| int4 +\\|.*\\| +1 \\| +tg4 \\| +[0-9.]+ ± +[0-9.]+ \\|"), lines[3]);
        assertTrue(lines[4].matches("\\| tiny \\(synthetic\\) +\\| int2 +\\|.*\\| +1 \\| +tg4 \\| +[0-9.]+ ± +[0-9.]+ \\|"), lines[4]);
        Run bad = run("bench", "--synthetic", "tiny", "--format", "int4,int2", "--embeddings", "7", "-p", "0", "-n", "1", "-r", "1", "-t", "1");
        assertEquals(1, bad.exit());
        assertEquals("", bad.out()); // the precision is checked here, before any JVM is started
    }

    @Test
    void helpOnEveryCommand() {
        for (String[] args : new String[][] {{"--help"}, {"generate", "--help"}, {"ppl", "--help"}, {"help", "generate"}}) {
            Run r = run(args);
            assertEquals(0, r.exit(), String.join(" ", args));
            assertTrue(r.out().startsWith("Usage: lowbit"), r.out());
        }
        assertTrue(run("--help").out().contains("generate"));
        assertTrue(run("ppl", "--help").out().contains("--ctx"));
    }
}
