package dev.lowbit.cli;

import java.util.ArrayList;
import java.util.List;

/** lowbit in a JVM of its own, on this test's class path, with the launcher's flags. */
final class LowbitProcess {
    private LowbitProcess() {}

    static ProcessBuilder of(String... args) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"),
                "dev.lowbit.cli.Main"));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd);
    }
}
