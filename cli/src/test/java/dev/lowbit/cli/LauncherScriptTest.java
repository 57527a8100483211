package dev.lowbit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/jdk.sh, which ./lowbit and ./run-tests use to find a JDK 25. */
class LauncherScriptTest {
    static final Path SCRIPT = Path.of("..", "scripts", "jdk.sh").toAbsolutePath().normalize();

    record Result(int exit, String out) {}

    static Result findJdk(Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", ". '" + SCRIPT + "' && lowbit_find_jdk && echo \"$LOWBIT_JAVA_HOME\"");
        pb.environment().remove("JAVA_HOME");
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }

    @Test
    void findsAJdk25OrNewer() throws Exception {
        Result r = findJdk(Map.of());
        assertEquals(0, r.exit(), r.out());
        Path home = Path.of(r.out().strip());
        String release = Files.readString(home.resolve("release"));
        int major = Integer.parseInt(release.replaceAll("(?s).*JAVA_VERSION=\"(\\d+).*", "$1"));
        assertTrue(major >= 25, release);
    }

    @Test
    void explainsWhatToInstallWhenThereIsNone(@TempDir Path empty) throws Exception {
        // An old JDK in JAVA_HOME, no JVM folder, and a PATH without any javac.
        Result r = findJdk(Map.of("LOWBIT_JVM_DIR", empty.toString(), "JAVA_HOME", empty.toString(), "PATH", "/nonexistent"));
        assertEquals(1, r.exit());
        assertTrue(r.out().startsWith("lowbit: no JDK 25 or newer found"), r.out());
        assertTrue(r.out().contains("install"), r.out());
    }
}
