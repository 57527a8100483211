package dev.lowbit.cli;

import dev.lowbit.engine.LowbitException;
import java.io.PrintWriter;
import picocli.CommandLine;

/** Entry point: runs the picocli command tree; every failure becomes one line on stderr and a non-zero exit. */
public final class Main {
    static final int EXIT_ERROR = 1;

    private Main() {}

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String... args) {
        return run(new PrintWriter(System.err, true), args);
    }

    static int run(PrintWriter err, String... args) {
        CommandLine cli = new CommandLine(new LowbitCommand());
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
