package dev.lowbit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the Node.js scripts of src/test/node (real clients: OpenAI's library, playwright-core) from a copy in
 * target/node, after {@code npm ci} there. A machine without node or npm fails the test and says so.
 */
final class NodeScripts {
    private static final Path SOURCE = Path.of("src/test/node").toAbsolutePath();
    private static final Path WORK = Path.of("target/node").toAbsolutePath();
    private static boolean installed;

    private NodeScripts() {}

    /** A command on the PATH, or the test fails naming what to install. */
    static String require(String command, String install) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) return p.toString();
        }
        return fail(command + " is needed for this test and is not on the PATH: " + install);
    }

    static synchronized void install() throws IOException, InterruptedException {
        if (installed) return;
        Files.createDirectories(WORK);
        for (String f : new String[] {"package.json", "package-lock.json", "openai-client.mjs", "chat-page.mjs"}) {
            Files.copy(SOURCE.resolve(f), WORK.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        String npm = require("npm", "install Node.js and npm (Debian: apt-get install nodejs npm)");
        run(List.of(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"), 300);
        installed = true;
    }

    /** Runs {@code node script args…} in target/node; its standard output, or the test fails with what it printed. */
    static String node(String script, String... args) throws IOException, InterruptedException {
        install();
        List<String> cmd = new ArrayList<>(List.of(require("node", "install Node.js (Debian: apt-get install nodejs)"), script));
        cmd.addAll(List.of(args));
        return run(cmd, 180);
    }

    static String run(List<String> cmd, int timeoutSeconds) throws IOException, InterruptedException {
        Files.createDirectories(WORK);
        Path log = Files.createTempFile("node", ".err");
        Process p = new ProcessBuilder(cmd).directory(WORK.toFile()).redirectError(log.toFile()).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " took longer than " + timeoutSeconds + " s");
        }
        String err = Files.readString(log);
        Files.delete(log);
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + " failed:\n" + err + new String(out, StandardCharsets.UTF_8));
        return new String(out, StandardCharsets.UTF_8);
    }
}
