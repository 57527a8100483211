package dev.lowbit.engine.format;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.format.gguf.ParityModels;
import dev.lowbit.engine.model.InferenceState;
import dev.lowbit.engine.model.LlamaModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GGUF's repacked copy: written on the first load, mapped on the next with the same logits bit for bit, missed when
 * the GGUF changes, rebuilt when unreadable, and not written when the model holds what a .lowbit file cannot.
 */
class GgufCacheTest {
    @TempDir Path dir;

    @Test
    void secondLoadMapsTheCopyWithTheSameLogits() throws Exception {
        Path gguf = dir.resolve("gemma3.gguf");
        Files.write(gguf, ParityModels.bytes("gemma3"));
        GgufCache cache = new GgufCache(dir.resolve("cache"));
        int[] prompt = ParityModels.prompt("gemma3");
        float[] first;
        try (LoadedModel m = ModelLoader.load(gguf, null, 1, false, cache)) {
            assertTrue(m.format().startsWith("gguf v3"), m.format());
            first = logits(m.model(), prompt);
        }
        Path entry = cache.find(gguf);
        assertNotNull(entry, "the copy is written on the first load");
        try (LoadedModel m = ModelLoader.load(gguf, null, 1, false, cache)) {
            assertTrue(m.format().startsWith("gguf, repacked copy"), m.format());
            assertArrayEquals(first, logits(m.model(), prompt));
        }

        // a changed GGUF misses its old copy
        Files.setLastModifiedTime(gguf, FileTime.fromMillis(Files.getLastModifiedTime(gguf).toMillis() + 60_000));
        assertNull(cache.find(gguf));
        try (LoadedModel m = ModelLoader.load(gguf, null, 1, false, cache)) {
            assertTrue(m.format().startsWith("gguf v3"), m.format());
        }
        Path second = cache.find(gguf);
        assertNotNull(second);

        // an unreadable copy is dropped and rebuilt from the GGUF
        Files.write(second, Arrays.copyOf(Files.readAllBytes(second), 1000));
        try (LoadedModel m = ModelLoader.load(gguf, null, 1, false, cache)) {
            assertTrue(m.format().startsWith("gguf v3"), m.format());
            assertArrayEquals(first, logits(m.model(), prompt));
        }
        assertTrue(Files.size(cache.find(gguf)) > 1000, "rewritten whole");
        try (LoadedModel m = ModelLoader.load(gguf, null, 1, false, cache)) {
            assertTrue(m.format().startsWith("gguf, repacked copy"), m.format());
        }
    }

    /** A cache that cannot be written (its folder would be inside a file) leaves the load as it was. */
    @Test
    void anUnwritableCacheChangesNothing() throws Exception {
        Path gguf = dir.resolve("bitnet.gguf");
        Files.write(gguf, ParityModels.bytes("bitnet"));
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x");
        GgufCache cache = new GgufCache(file.resolve("cache"));
        try (LoadedModel m = ModelLoader.load(gguf, null, 1, false, cache)) {
            assertTrue(m.format().startsWith("gguf v3"), m.format());
        }
        assertNull(cache.find(gguf));
    }

    private static float[] logits(LlamaModel m, int[] tokens) {
        InferenceState s = m.newState(64, tokens.length);
        m.forward(s, tokens, 0, tokens.length, 0, true);
        return Arrays.copyOf(s.logits(), tokens.length * m.config().vocabSize());
    }
}
