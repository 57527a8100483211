package dev.lowbit.cli;

import dev.lowbit.engine.LowbitException;
import dev.lowbit.kernels.LutKernels;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;

/** Entry point: runs the picocli command tree; every failure becomes one line on stderr and a non-zero exit. */
public final class Main {
    static final int EXIT_ERROR = 1;

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        // UTF-8 whatever the locale: generated text is UTF-8 and the default console charset may be ASCII.
        return run(utf8(FileDescriptor.out), utf8(FileDescriptor.err), args);
    }

    private static PrintWriter utf8(FileDescriptor fd) {
        return new PrintWriter(new OutputStreamWriter(new FileOutputStream(fd), StandardCharsets.UTF_8), true);
    }

    static int run(PrintWriter out, PrintWriter err, String... args) {
        try {
            LutKernels.chosen(); // a bad -Dlowbit.kernel or LOWBIT_KERNEL is reported before anything runs
        } catch (ExceptionInInitializerError e) {
            err.println("lowbit: error: " + e.getCause().getMessage());
            return EXIT_ERROR;
        }
        CommandLine cli = new CommandLine(new LowbitCommand());
        cli.setOut(out);
        cli.setErr(err);
        cli.setParameterExceptionHandler((ex, cliArgs) -> {
            CommandLine cmd = ex.getCommandLine();
            cmd.getErr().println("lowbit: " + ex.getMessage());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        cli.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            cmd.getErr().println("lowbit: " + describe(ex));
            if (System.getenv("LOWBIT_DEBUG") != null) ex.printStackTrace(cmd.getErr());
            return EXIT_ERROR;
        });
        return cli.execute(args);
    }

    /** One line for any failure: user errors by their message, anything else by its type and message. */
    static String describe(Throwable ex) {
        if (ex instanceof LowbitException || ex instanceof IllegalArgumentException) return "error: " + ex.getMessage();
        if (ex instanceof OutOfMemoryError) {
            return "error: out of memory (" + ex.getMessage() + "); give the JVM more with LOWBIT_JAVA_OPTS=-Xmx...";
        }
        return "internal error: " + ex + " (set LOWBIT_DEBUG=1 for a stack trace)";
    }
}
