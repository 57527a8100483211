package dev.lowbit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** scripts/jdk.sh, which ./lowbit and ./run-tests use to find a JDK 25; the compiler directives ./lowbit passes and its stderr filter. */
class LauncherScriptTest {
    static final Path SCRIPT = Path.of("..", "scripts", "jdk.sh").toAbsolutePath().normalize();
    static final Path DIRECTIVES = Path.of("..", "scripts", "c2-directives.json").toAbsolutePath().normalize();

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

    /**
     * The launcher starts no JVM at all when HotSpot refuses its directives file (HotSpot's JSON takes one comment
     * before the array, a block comment, but not two line comments); and the JVM's report of reading it must go to
     * stderr, where the launcher drops it, not into lowbit's output.
     */
    @Test
    void theLaunchersCompilerDirectivesAreAcceptedAndReportedOnStderr() throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = new ProcessBuilder(java, "-XX:+UnlockDiagnosticVMOptions", "-XX:CompilerDirectivesFile=" + DIRECTIVES,
                "-XX:+DisplayVMOutputToStderr", "-version");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), err);
        assertEquals("", out);
        assertTrue(err.lines().anyMatch(l -> l.matches("\\d+ compiler directives added")), err);
        String launcher = Files.readString(Path.of("..", "lowbit"));
        assertTrue(launcher.contains("scripts/c2-directives.json") && launcher.contains("-XX:+DisplayVMOutputToStderr")
                && launcher.contains("2> >(lowbit_jvm_stderr)"), "the launcher passes the file and filters the JVM's stderr");
    }

    /** The launcher's stderr filter drops the JVM's notices before lowbit's first line and keeps everything on stderr. */
    @Test
    void theJvmsNoticesAreDroppedAndLowbitsLinesStayOnStderr() throws Exception {
        Path filter = Path.of("..", "scripts", "jvm-stderr.sh").toAbsolutePath().normalize();
        String jvm = "1 compiler directives added\nWARNING: Using incubator modules: jdk.incubator.vector\n";
        String lowbit = "quantized to int4 in 0.20 s\nprogress 10%\rprogress 20%\n\nprompt: 5 tokens\n";
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", ". '" + filter + "' && lowbit_jvm_stderr");
        Process p = pb.start();
        p.getOutputStream().write((jvm + lowbit).getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), err);
        assertEquals("", out, "nothing of stderr may reach lowbit's stdout");
        assertEquals(lowbit, err);
    }
}
