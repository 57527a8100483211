package dev.lowbit.engine.format;

import dev.lowbit.engine.format.gguf.GgufModel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;

/**
 * {@code .lowbit} copies of GGUF models as lowbit runs them, so that a second load maps the repacked tensors instead of
 * repacking them again (docs/STARTUP.md: 1B Q4_0, 10 s to the first token without, ~6 s with). An entry is keyed by
 * the GGUF's real path, size and modification time, so a changed file misses; it is written atomically, and one that
 * fails to read is deleted and rebuilt. Files holding a tensor or tokenizer the format cannot store are not cached,
 * nor any when the disk has less free space than twice the GGUF's size and a GiB.
 *
 * @param dir where the copies live ({@link #defaultDir()} for the CLI)
 */
public record GgufCache(Path dir) {

    /** {@code lowbit.cache.dir} (tests point it into target/), else {@code $XDG_CACHE_HOME/lowbit}, else {@code ~/.cache/lowbit}. */
    public static Path defaultDir() {
        String property = System.getProperty("lowbit.cache.dir");
        if (property != null && !property.isBlank()) return Path.of(property);
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
        return base.resolve("lowbit");
    }

    /** Where the copy of {@code gguf} goes: its name and a hash of its real path, size and modification time. */
    Path entry(Path gguf) throws IOException {
        Path real = gguf.toRealPath();
        String key = real + "\n" + Files.size(real) + "\n" + Files.getLastModifiedTime(real).toMillis();
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return dir.resolve(real.getFileName() + "." + HexFormat.of().formatHex(hash, 0, 8) + ".lowbit");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The copy of {@code gguf}, when there is one. */
    public Path find(Path gguf) {
        try {
            Path e = entry(gguf);
            return Files.isRegularFile(e) ? e : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** Drops a copy that could not be read. */
    public void forget(Path entry) {
        try {
            Files.deleteIfExists(entry);
        } catch (IOException ignored) {
            // an unreadable copy that cannot be deleted misses again next time
        }
    }

    /** Writes the copy of {@code gguf}, as loaded; returns it, or null when the model cannot be stored or the cache not written. */
    public Path store(Path gguf, GgufModel model) {
        try {
            Files.createDirectories(dir);
            // a copy is about the GGUF's size: leave room for everything else on the disk
            if (Files.getFileStore(dir).getUsableSpace() < 2 * Files.size(gguf) + (1L << 30)) return null;
            Path e = entry(gguf);
            LowbitWriter.write(e, model.config(), model.tokenizer(), model.chatTemplate(),
                    Map.of("method", "gguf", "source", gguf.getFileName().toString()), model.weights(), true);
            return e;
        } catch (IOException | RuntimeException e) {
            return null; // a read-only home, a full disk, a tensor type .lowbit cannot hold: run from the GGUF alone
        }
    }
}
