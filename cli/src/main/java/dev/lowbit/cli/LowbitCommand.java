package dev.lowbit.cli;

import picocli.CommandLine.Command;

@Command(name = "lowbit",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "Quantize large language models to low-bit weights and run them fast on CPUs.",
        subcommands = {GenerateCommand.class, ChatCommand.class, ServeCommand.class, PullCommand.class, PerplexityCommand.class, QuantizeCommand.class, KldCommand.class, InspectCommand.class, BenchCommand.class,
                VerifyCommand.class, picocli.CommandLine.HelpCommand.class})
final class LowbitCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
