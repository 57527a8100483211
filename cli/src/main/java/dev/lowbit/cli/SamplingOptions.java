package dev.lowbit.cli;

import dev.lowbit.engine.sampling.SamplerSettings;
import java.security.SecureRandom;
import picocli.CommandLine.Option;

/** Sampling options shared by {@code generate} and {@code chat}. */
final class SamplingOptions {
    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature; 0 is greedy (default: ${DEFAULT-VALUE}).")
    float temperature = 0.8f;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens; 0 disables (default: ${DEFAULT-VALUE}).")
    int topK = 40;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass; 1 disables (default: ${DEFAULT-VALUE}).")
    float topP = 0.95f;

    @Option(names = "--min-p", paramLabel = "P", description = "Drop tokens below P x the top probability; 0 disables (default: ${DEFAULT-VALUE}).")
    float minP = 0.05f;

    @Option(names = {"-s", "--seed"}, paramLabel = "S", description = "Random seed; the same seed gives the same text (default: random, printed).")
    Long seed;

    private long chosenSeed = -1;

    /** The seed in use: the given one, or a random one chosen once. */
    long seed() {
        if (chosenSeed < 0) chosenSeed = seed != null ? seed : new SecureRandom().nextLong() >>> 1;
        return chosenSeed;
    }

    SamplerSettings settings() {
        return new SamplerSettings(temperature, topK, topP, minP, seed());
    }
}
