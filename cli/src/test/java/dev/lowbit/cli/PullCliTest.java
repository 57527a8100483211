package dev.lowbit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.format.gguf.ParityModels;
import dev.lowbit.hub.FakeHub;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * lowbit pull from a local hub (HF_ENDPOINT) into a Hugging Face cache (HF_HUB_CACHE), then -m ORG/NAME:QUANT in
 * generate: the real stories260K model as a GGUF file writes what the llama2.c file writes.
 */
class PullCliTest {
    @TempDir Path dir;

    private record Run(int exit, String out) {}

    private Run lowbit(FakeHub hub, String... args) throws IOException, InterruptedException {
        ProcessBuilder pb = LowbitProcess.of(args).redirectErrorStream(true);
        pb.environment().put("HF_ENDPOINT", hub.endpoint().toString());
        pb.environment().put("HF_HUB_CACHE", dir.resolve("hub").toString());
        pb.environment().remove("HF_TOKEN");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        return new Run(p.exitValue(), out);
    }

    @Test
    void pullThenGenerateFromTheCacheByRepositoryAndQuantization() throws Exception {
        try (FakeHub hub = new FakeHub()) {
            hub.add("lowbit-test/stories260K-GGUF", Map.of("stories260K-F32.gguf", ParityModels.bytes("stories260K"),
                    "README.md", "stories".getBytes(StandardCharsets.UTF_8)));

            Run missing = lowbit(hub, "generate", "-m", "lowbit-test/stories260K-GGUF:F32", "-n", "5");
            assertTrue(missing.exit() != 0);
            assertTrue(missing.out().contains("is not in the Hugging Face cache") && missing.out().contains("lowbit pull lowbit-test/stories260K-GGUF --quant F32"),
                    missing.out());

            Run pull = lowbit(hub, "pull", "lowbit-test/stories260K-GGUF", "--quant", "F32");
            assertEquals(0, pull.exit(), pull.out());
            assertTrue(Files.isSymbolicLink(dir.resolve("hub/models--lowbit-test--stories260K-GGUF/snapshots/" + FakeHub.COMMIT + "/stories260K-F32.gguf")));

            String[] gen = {"-p", "Once upon a time", "-n", "24", "--temperature", "0"};
            Run fromCache = lowbit(hub, concat(new String[] {"generate", "-m", "lowbit-test/stories260K-GGUF:F32"}, gen));
            Run fromFile = lowbit(hub, concat(new String[] {"generate", "-m", SharedData.require("models/stories260K/stories260K.bin").toString()}, gen));
            assertEquals(0, fromCache.exit(), fromCache.out());
            assertEquals(firstLine(fromFile.out()), firstLine(fromCache.out()));

            Run inspect = lowbit(hub, "inspect", "lowbit-test/stories260K-GGUF:F32"); // a positional MODEL resolves the same way
            assertEquals(0, inspect.exit(), inspect.out());
            assertTrue(inspect.out().contains("stories260K-F32.gguf") || inspect.out().contains("gguf"), inspect.out());

            Run notFound = lowbit(hub, "pull", "lowbit-test/none");
            assertTrue(notFound.exit() != 0);
            assertEquals("lowbit: error: lowbit-test/none: 404 Not Found at revision main", notFound.out().strip().lines().toList().getLast());
        }
    }

    private static String firstLine(String s) {
        return s.lines().filter(l -> l.startsWith("Once upon a time")).findFirst().orElse("(no text in: " + s + ")");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
