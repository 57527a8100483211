package dev.lowbit.cli;

import dev.lowbit.hub.HubCache;
import dev.lowbit.hub.HubClient;
import dev.lowbit.hub.Puller;
import dev.lowbit.hub.RepoId;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {"Download a model from the Hugging Face hub into its standard cache ($HF_HUB_CACHE, else $HF_HOME/hub, else"
                + " ~/.cache/huggingface/hub), shared with huggingface_hub and llama.cpp. A cut download resumes; every file is checked"
                + " against its hash before it appears in the snapshot.",
                "Then -m ORG/NAME (a safetensors model) or -m ORG/NAME:QUANT (a GGUF file) works in every command.",
                "Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN for gated or private models."})
final class PullCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ORG/NAME", description = "The model repository.")
    String repo;

    @Option(names = "--include", paramLabel = "GLOB", description = "Only files matching this pattern (repeatable), e.g. '*.json'.")
    List<String> includes = new ArrayList<>();

    @Option(names = {"-q", "--quant"}, paramLabel = "Q", description = "For a repository of GGUF files: the quantization, e.g. Q4_K_M (every part of a split file).")
    String quant;

    @Option(names = "--revision", paramLabel = "REV", description = "Branch, tag or commit (default: ${DEFAULT-VALUE}).")
    String revision = "main";

    @Override
    public Integer call() {
        PrintWriter err = spec.commandLine().getErr();
        RepoId id = RepoId.parse(repo);
        HubCache cache = HubCache.fromEnvironment(System.getenv());
        Puller puller = new Puller(HubClient.fromEnvironment(System.getenv()), cache, path -> new ProgressBar(err, path, true));
        Puller.Pulled p = puller.pull(id, revision, includes, quant);
        err.printf("%s: %d files in %s (%.1f MB downloaded)%n", id, p.files().size(), p.snapshot(), p.downloadedBytes() / 1e6);
        for (Path f : p.files()) spec.commandLine().getOut().println(f);
        err.printf("run it with: lowbit generate -m %s%s%n", id, quant != null ? ":" + quant : "");
        return 0;
    }
}
