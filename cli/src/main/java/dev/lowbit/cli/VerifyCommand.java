package dev.lowbit.cli;

import dev.lowbit.engine.format.LowbitFile;
import dev.lowbit.engine.format.MappedFile;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = "Check a .lowbit file: header, shapes, offsets and every tensor's CRC32C.")
final class VerifyCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "FILE", description = "The .lowbit file.")
    Path file;

    @Override
    public Integer call() {
        try (MappedFile f = MappedFile.open(file)) {
            LowbitFile.Contents c = LowbitFile.read(f, true);
            spec.commandLine().getOut().printf("%s: OK (%d tensors, %.2f MiB, checksums verified)%n", file,
                    c.tensorTypes().size(), f.size() / 1048576.0);
        }
        return 0;
    }
}
