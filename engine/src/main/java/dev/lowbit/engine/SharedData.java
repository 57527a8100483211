package dev.lowbit.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared models and data folder that sits beside the project root ({@code ../shared}).
 *
 * <p>Looked up from the {@code lowbit.shared} system property (set by the build for tests), then from
 * {@code lowbit.home} (set by the launcher), then upwards from the working directory.
 */
public final class SharedData {
    private SharedData() {}

    /** The shared folder, or {@code null} when none is found. */
    public static Path find() {
        String prop = System.getProperty("lowbit.shared");
        if (prop != null && Files.isDirectory(Path.of(prop))) return Path.of(prop).toAbsolutePath().normalize();
        String home = System.getProperty("lowbit.home");
        if (home != null && Files.isDirectory(Path.of(home, "..", "shared"))) {
            return Path.of(home, "..", "shared").toAbsolutePath().normalize();
        }
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolveSibling("shared");
            if (Files.isDirectory(candidate.resolve("models"))) return candidate.normalize();
        }
        return null;
    }

    /** A file under the shared folder; throws with a clear message when the folder or file is missing. */
    public static Path require(String relative) {
        Path root = find();
        if (root == null) {
            throw new LowbitException("the shared models/data folder (../shared beside the project root) was not found;"
                    + " set -Dlowbit.shared=DIR to point at it");
        }
        Path file = root.resolve(relative);
        if (!Files.exists(file)) throw new LowbitException("shared file missing: " + file);
        return file;
    }
}
