package dev.lowbit.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The kernels as C2 compiles them for CPUs this host may not be: a JVM under {@code -XX:UseAVX=2} sees an AVX2 CPU
 * (and picks the avx2 kernel), one under {@code -XX:UseAVX=0} an SSE-only one (the 128-bit kernel). In each, every
 * kernel must equal the scalar reference bit for bit ({@link LutKernelSelfCheck}).
 */
class KernelsOnOtherInstructionSetsTest {
    static final Path JVM_ARGS = Path.of("..", "scripts", "jvm.args").toAbsolutePath().normalize();

    record Result(int exit, String out) {}

    static Result check(String... jvmOptions) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElseThrow(), "@" + JVM_ARGS));
        command.addAll(List.of(jvmOptions));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), LutKernelSelfCheck.class.getName()));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(p.waitFor(), out);
    }

    @Test
    void underAvx2TheAvx2KernelIsChosenAndEveryKernelIsExact() throws Exception {
        Result r = check("-XX:UseAVX=2");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("chosen avx2"), r.out());
        assertTrue(r.out().contains(" passed, 0 failed"), r.out());
    }

    @Test
    void withoutAvxThe128BitKernelIsChosenAndEveryKernelIsExact() throws Exception {
        Result r = check("-XX:UseAVX=0");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("chosen 128"), r.out());
        assertTrue(r.out().contains(" passed, 0 failed"), r.out());
    }

    @Test
    void anOverrideForcesAKernelAndABadOneIsRefused() throws Exception {
        Result forced = check("-XX:UseAVX=2", "-Dlowbit.kernel=scalar");
        assertTrue(forced.out().contains("chosen scalar"), forced.out());
        Result bad = check("-Dlowbit.kernel=avx3");
        assertEquals(1, bad.exit(), bad.out());
        assertTrue(bad.out().contains("unknown table-lookup kernel 'avx3'"), bad.out());
    }
}
