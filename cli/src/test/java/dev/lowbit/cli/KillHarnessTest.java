package dev.lowbit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.SharedData;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code kill -9} at random moments of {@code lowbit quantize} (in a process of its own): the output is either absent
 * or a complete file that {@code verify} accepts, and the next run leaves no temporary file behind (a killed
 * writer's partial file is removed once its process is gone).
 */
class KillHarnessTest {
    private static final Path MODEL = SharedData.require("models/stories260K/stories260K.bin");
    @TempDir Path dir;

    @Test
    void killedQuantizeLeavesTheOldFileOrTheNewOne() throws Exception {
        Path out = dir.resolve("q.lowbit");
        SplittableRandom r = new SplittableRandom(20261207);
        List<String> outcomes = new ArrayList<>();
        for (int round = 0; round < 8; round++) {
            long delay = 300 + r.nextInt(1500);
            Process p = quantizeProcess(out).start();
            boolean finished = p.waitFor(delay, TimeUnit.MILLISECONDS);
            if (!finished) {
                p.destroyForcibly(); // SIGKILL: no shutdown hook runs
                p.waitFor(10, TimeUnit.SECONDS);
            }
            boolean complete = Files.exists(out);
            long partials;
            try (var files = Files.list(dir)) {
                partials = files.filter(f -> f.getFileName().toString().endsWith(".partial")).count();
            }
            if (complete) {
                CliTest.Run v = CliTest.run("verify", out.toString());
                assertEquals(0, v.exit(), "after a kill at " + delay + " ms the file must be whole: " + v.err());
            }
            outcomes.add(delay + " ms: " + (finished ? "finished" : "killed") + ", " + (complete ? "file verifies" : "no file")
                    + (partials > 0 ? ", " + partials + " partial file(s)" : ""));
        }
        System.out.println("kill harness: " + outcomes);
        CliTest.Run q = CliTest.run("quantize", MODEL.toString(), out.toString(), "--bits", "4", "--force");
        assertEquals(0, q.exit(), q.err());
        try (var files = Files.list(dir)) {
            List<String> left = files.map(f -> f.getFileName().toString()).filter(n -> !n.equals("q.lowbit")).toList();
            assertEquals(List.of(), left, "temporary files of killed writers are gone after the next run");
        }
        assertTrue(outcomes.stream().anyMatch(o -> o.contains("killed")), "at least one kill landed: " + outcomes);
    }

    /**
     * The first load of a GGUF writes its repacked copy into the cache: killed at random moments (each round starting
     * without a copy), the cache holds no copy or a complete one, and after a run that ends the copy verifies and no
     * temporary file is left.
     */
    @Test
    void killedFirstLoadOfAGgufLeavesNoPartialCopy() throws Exception {
        Path gguf = Files.write(dir.resolve("stories-Q4_0.gguf"), dev.lowbit.engine.format.gguf.GgufSources.stories("Q4_0"));
        Path cache = dir.resolve("xdg").resolve("lowbit");
        SplittableRandom r = new SplittableRandom(20261208);
        List<String> outcomes = new ArrayList<>();
        for (int round = 0; round < 6; round++) {
            long delay = 800 + r.nextInt(1500); // on a 2-core machine the copy is written 1.5–2 s after the start
            Process p = generateProcess(gguf).start();
            boolean finished = p.waitFor(delay, TimeUnit.MILLISECONDS);
            if (!finished) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
            }
            List<Path> copies = files(cache, ".lowbit");
            for (Path copy : copies) {
                CliTest.Run v = CliTest.run("verify", copy.toString());
                assertEquals(0, v.exit(), "after a kill at " + delay + " ms the cached copy must be whole: " + v.err());
            }
            outcomes.add(delay + " ms: " + (finished ? "finished" : "killed") + ", " + copies.size() + " copy, "
                    + files(cache, ".partial").size() + " partial");
            for (Path copy : copies) Files.delete(copy); // so that every round writes one
        }
        System.out.println("kill harness (GGUF cache): " + outcomes);
        Process last = generateProcess(gguf).start();
        assertTrue(last.waitFor(120, TimeUnit.SECONDS) && last.exitValue() == 0, "a run after the kills works");
        List<Path> copies = files(cache, ".lowbit");
        assertEquals(1, copies.size(), "one cached copy: " + copies);
        assertEquals(0, CliTest.run("verify", copies.getFirst().toString()).exit());
        assertEquals(List.of(), files(cache, ".partial"), "no temporary file of a killed writer is left");
        assertTrue(outcomes.stream().anyMatch(o -> o.contains("killed")), "at least one kill landed: " + outcomes);
    }

    private static List<Path> files(Path dir, String suffix) throws java.io.IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (var files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix)).toList();
        }
    }

    private ProcessBuilder generateProcess(Path gguf) {
        ProcessBuilder b = LowbitProcess.of("generate", "-m", gguf.toString(), "-n", "2", "--temperature", "0", "-t", "1")
                .redirectErrorStream(true).redirectOutput(new File("/dev/null"));
        b.environment().put("XDG_CACHE_HOME", dir.resolve("xdg").toString());
        return b;
    }

    private static ProcessBuilder quantizeProcess(Path out) {
        return LowbitProcess.of("quantize", MODEL.toString(), out.toString(), "--bits", "4", "--force")
                .redirectErrorStream(true).redirectOutput(new File("/dev/null"));
    }
}
