package dev.lowbit.cli;

import dev.lowbit.engine.LowbitException;
import dev.lowbit.engine.chat.ChatTemplate;
import dev.lowbit.server.LowbitServer;
import dev.lowbit.server.ServerSettings;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.BindException;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve a model over OpenAI's HTTP API (/v1/chat/completions, /v1/completions, /v1/models, /tokenize, /detokenize,"
                + " /health) with a chat page at /. Concurrent requests decode together, reading the weights once per step for all.",
                "SIGTERM (Ctrl-C) stops taking requests, lets those in flight finish for --drain seconds, then exits."})
final class ServeCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;

    @Option(names = "--host", paramLabel = "ADDR", description = "Address to listen on (default: ${DEFAULT-VALUE}, this machine only).")
    String host = "127.0.0.1";

    @Option(names = "--port", paramLabel = "N", description = "Port (default: ${DEFAULT-VALUE}; 0 picks a free one).")
    int port = 8080;

    @Option(names = "--api-key", paramLabel = "KEY", description = "Require 'Authorization: Bearer KEY' on every API request.")
    String apiKey;

    @Option(names = {"-np", "--parallel"}, paramLabel = "N", description = "Sequences decoded together (default: ${DEFAULT-VALUE}).")
    int parallel = 4;

    @Option(names = {"-c", "--ctx"}, paramLabel = "N", description = "Context per sequence in tokens (default: the model's, at most ${DEFAULT-VALUE}).")
    int ctx = 4096;

    @Option(names = "--queue", paramLabel = "N", description = "Requests that may wait for a free sequence before the server answers 503 (default: ${DEFAULT-VALUE}).")
    int queue = 32;

    @Option(names = "--max-body", paramLabel = "BYTES", description = "Largest request body (default: ${DEFAULT-VALUE}).")
    int maxBody = 4 << 20;

    @Option(names = "--max-messages", paramLabel = "N", description = "Most messages in one chat request (default: ${DEFAULT-VALUE}).")
    int maxMessages = 1024;

    @Option(names = "--alias", paramLabel = "NAME", description = "The model's name in the API (default: the file name).")
    String alias;

    @Mixin TemplateOption template;

    @Option(names = "--warmup", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Before saying it is ready, run the model on throwaway sequences until it runs at speed, so that the first request"
                    + " waits no longer than later ones (default: ${DEFAULT-VALUE}).")
    boolean warmUp;

    @Option(names = "--drain", paramLabel = "SECONDS", description = "On SIGTERM, how long requests in flight may finish (default: ${DEFAULT-VALUE}).")
    int drainSeconds = 10;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (drainSeconds < 0) throw new IllegalArgumentException("--drain must be >= 0");
        PrintWriter err = spec.commandLine().getErr();
        String id = alias != null ? alias : modelOptions.displayName();
        ServerSettings settings = new ServerSettings(host, port, apiKey, parallel, ctx, queue, maxBody, maxMessages, id);
        ChatTemplate chatTemplate = template.named();
        LowbitServer server;
        try {
            server = new LowbitServer(settings);
        } catch (BindException e) {
            throw new LowbitException("cannot listen on " + host + ":" + port + ": " + e.getMessage());
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            err.println("stopping: letting requests in flight finish (at most " + drainSeconds + " s)");
            err.flush();
            server.shutdown(Duration.ofSeconds(drainSeconds));
            stopped.countDown();
        }));
        err.printf("lowbit serve: http://%s:%d/ (loading %s)%n", host, server.port(), modelOptions.modelPath());
        err.flush();
        long t0 = System.nanoTime();
        int rounds;
        try {
            rounds = server.load(modelOptions::load, chatTemplate, warmUp);
        } catch (RuntimeException e) {
            server.close();
            throw e;
        }
        err.printf("ready in %.2f s%s: model %s, %d parallel sequences of %d tokens%s%n", (System.nanoTime() - t0) / 1e9,
                warmUp ? " (" + rounds + " warm-up rounds)" : "", id, parallel, server.contextLength(), apiKey != null ? ", API key required" : "");
        err.flush();
        stopped.await();
        return 0;
    }
}
