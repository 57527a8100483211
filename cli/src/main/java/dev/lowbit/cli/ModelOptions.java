package dev.lowbit.cli;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.LowbitException;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.format.GgufCache;
import dev.lowbit.kernels.WorkerPool;
import dev.lowbit.hub.HubCache;
import dev.lowbit.hub.RepoId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options every command that runs a model shares. */
final class ModelOptions {
    static final String DEFAULT_MODEL = "models/stories260K/stories260K.bin";

    @Option(names = {"-m", "--model"}, paramLabel = "FILE",
            description = "Model: a .lowbit file, a GGUF file, a Hugging Face folder (config.json + safetensors), a llama2.c checkpoint,"
                    + " ORG/NAME or ORG/NAME:QUANT from the Hugging Face cache (see lowbit pull), or synthetic:llama-1b."
                    + " Default: ../shared/" + DEFAULT_MODEL + " beside the project.")
    Path model;

    @Option(names = {"--tokenizer"}, paramLabel = "FILE",
            description = "llama2.c tokenizer file; default: the model's own (GGUF, Hugging Face, .lowbit), or tok<vocab>.bin / tokenizer.bin beside a llama2.c model.")
    Path tokenizer;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "Worker threads (default: all cores, ${DEFAULT-VALUE}).")
    int threads = WorkerPool.defaultThreads();

    @Option(names = "--verify", description = "Check every tensor's checksum when opening a .lowbit file (default: on first use).")
    boolean verify;

    @Option(names = "--no-cache", description = "Neither keep nor use lowbit's repacked copy of a GGUF file (kept in ~/.cache/lowbit,"
            + " or $XDG_CACHE_HOME/lowbit, so that the next load maps it instead of repacking: about the GGUF's size on disk).")
    boolean noCache;

    LoadedModel load() {
        if (threads < 1) throw new LowbitException("--threads must be at least 1");
        return ModelLoader.load(modelPath(), tokenizer, threads, verify, noCache ? null : new GgufCache(GgufCache.defaultDir()));
    }

    Path modelPath() {
        if (model != null) return resolve(model);
        Path shared = SharedData.find();
        if (shared == null) throw new LowbitException("no --model given and the default model (../shared/" + DEFAULT_MODEL + ") was not found");
        return shared.resolve(DEFAULT_MODEL);
    }

    /** How to name the model to a user: ORG/NAME[:QUANT] as given, else the file's name. */
    String displayName() {
        if (model != null && isHubName(model)) return model.toString();
        return modelPath().getFileName().toString();
    }

    /** A model argument as a path: itself, or for ORG/NAME[:QUANT] (not a file here) what the Hugging Face cache holds. */
    static Path resolve(Path model) {
        return isHubName(model) ? fromHubCache(model.toString()) : model;
    }

    /** ORG/NAME[:QUANT] that is not a file or folder here. */
    private static boolean isHubName(Path model) {
        return !Files.exists(model) && RepoId.looksLikeRepo(model.toString());
    }

    /** ORG/NAME[:QUANT] as the Hugging Face cache holds it at main; says how to pull it when it does not. */
    private static Path fromHubCache(String name) {
        int colon = name.indexOf(':');
        String repo = colon < 0 ? name : name.substring(0, colon), quant = colon < 0 ? null : name.substring(colon + 1);
        HubCache cache = HubCache.fromEnvironment(System.getenv());
        Path found;
        try {
            found = cache.find(RepoId.parse(repo), quant);
        } catch (IOException e) {
            throw new LowbitException("cannot read the Hugging Face cache " + cache.root() + ": " + e.getMessage());
        }
        if (found == null) {
            throw new LowbitException(name + " is not in the Hugging Face cache (" + cache.root() + "); fetch it with: lowbit pull " + repo
                    + (quant != null ? " --quant " + quant : ""));
        }
        return found;
    }
}
