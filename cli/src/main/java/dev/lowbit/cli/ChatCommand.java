package dev.lowbit.cli;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.chat.ChatMessage;
import dev.lowbit.engine.chat.ChatPrompt;
import dev.lowbit.engine.generate.GenerationResult;
import dev.lowbit.engine.generate.Generator;
import dev.lowbit.engine.sampling.Sampler;
import dev.lowbit.engine.tokenizer.Tokenizer;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "chat", mixinStandardHelpOptions = true,
        description = {"Chat with a model in its own chat template: type a message and Enter; /reset starts over, /exit or Ctrl-D quits.",
                "Earlier turns stay in the KV cache, so each reply only processes the new text. When the context fills up, the oldest"
                        + " turns are dropped (the system message stays)."})
final class ChatCommand implements Callable<Integer> {
    @Spec CommandSpec spec;
    @Mixin ModelOptions modelOptions;
    @Mixin SamplingOptions sampling;

    @Option(names = "--system", paramLabel = "TEXT", description = "System message.")
    String system;

    @Option(names = {"-n", "--n-predict"}, paramLabel = "N", description = "Longest reply in tokens (default: ${DEFAULT-VALUE}).")
    int maxReply = 512;

    @Option(names = {"-c", "--ctx"}, paramLabel = "N", description = "Context length (default: the model's, at most ${DEFAULT-VALUE}).")
    int ctx = 4096;

    @Mixin TemplateOption template;

    @Override
    public Integer call() throws IOException {
        if (maxReply < 1 || ctx < 16) throw new IllegalArgumentException("-n must be >= 1 and --ctx >= 16");
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        try (LoadedModel m = modelOptions.load()) {
            Tokenizer tok = m.tokenizer();
            ChatPrompt chat = new ChatPrompt(template.forModel(m), tok);
            Generator generator = new Generator(m.model(), tok, Math.min(ctx, m.model().config().contextLength()), 128);
            Sampler sampler = new Sampler(sampling.settings(), m.model().config().vocabSize());
            err.printf("chat with %s (%s), template: %s, context %d tokens, seed %d. /reset starts over, /exit or Ctrl-D quits.%n",
                    modelOptions.displayName(), m.format(), chat.template().name(), generator.contextLength(), sampling.seed());
            List<ChatMessage> history = new ArrayList<>();
            if (system != null) history.add(new ChatMessage("system", system));
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            while (true) {
                out.print("> ");
                out.flush();
                String line = in.readLine();
                if (line == null || line.strip().equals("/exit")) break;
                if (line.strip().equals("/reset")) {
                    history.removeIf(msg -> !msg.role().equals("system"));
                    generator.reset();
                    err.println("(conversation cleared)");
                    continue;
                }
                if (line.isBlank()) continue;
                history.add(new ChatMessage("user", line));
                int[] prompt = fitToContext(history, chat, generator.contextLength(), err);
                if (prompt == null) {
                    history.removeLast();
                    continue;
                }
                StringBuilder reply = new StringBuilder();
                GenerationResult r = generator.generate(prompt, Math.min(maxReply, generator.contextLength() - prompt.length), sampler,
                        piece -> {
                            reply.append(piece);
                            out.print(piece);
                            out.flush();
                        });
                out.println();
                err.printf("[%d tokens, %.1f tokens/s; prompt %d new of %d tokens, %.1f tokens/s%s]%n", r.generatedTokens().length,
                        r.decodeTokensPerSecond(), r.prefilledTokens(), r.promptTokens().length, r.promptTokensPerSecond(),
                        r.stopReason() == GenerationResult.StopReason.CONTEXT_FULL ? "; context full" : "");
                history.add(new ChatMessage("assistant", reply.toString().strip()));
            }
            out.println();
        }
        return 0;
    }

    /**
     * The prompt tokens for the conversation, dropping the oldest exchanges (never the system message nor the new
     * message) until it leaves room for a reply; null, with a message, when the new message alone does not fit.
     */
    private int[] fitToContext(List<ChatMessage> history, ChatPrompt chat, int context, PrintWriter err) {
        int room = Math.min(maxReply, Math.max(16, context / 4));
        while (true) {
            int[] prompt = chat.tokens(history);
            if (prompt.length + room <= context) return prompt;
            int first = history.getFirst().role().equals("system") ? 1 : 0;
            if (history.size() - first <= 1) {
                err.printf("(that message needs %d tokens with the template; the context holds %d with %d kept for the reply — not sent)%n",
                        prompt.length, context, room);
                return null;
            }
            history.remove(first);
            if (history.size() - first > 1 && history.get(first).role().equals("assistant")) history.remove(first);
            err.println("(context full: dropped the oldest turn)");
        }
    }
}
