package dev.lowbit.server;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import dev.lowbit.engine.batch.Completion;
import dev.lowbit.engine.batch.FinishReason;
import dev.lowbit.engine.batch.SequenceRequest;
import java.io.IOException;
import java.util.UUID;

/**
 * The flow both completion endpoints share: read the request, queue its sequence, then stream the pieces as
 * server-sent events or answer once at the end. Subclasses say how the prompt is built and how a choice looks.
 */
abstract class CompletionEndpoint {
    /** The prompt tokens of the request (template applied, BOS added as the model wants). */
    abstract int[] prompt(RequestFields f, ServingModel m, ServerSettings settings);

    /** OpenAI's object name: {@code chat.completion} or {@code text_completion}, with {@code .chunk} when streamed. */
    abstract String object(boolean chunk);

    abstract String idPrefix();

    /** A streamed choice carrying {@code piece}; {@code first} for the first chunk (chat names the role there). */
    abstract ObjectNode delta(String piece, boolean first);

    /** The whole answer's choice. */
    abstract ObjectNode whole(String text);

    final void handle(HttpExchange ex, ServingModel m, ServerSettings settings, ServerMetrics metrics) throws IOException, InterruptedException {
        RequestFields f = new RequestFields(Exchanges.readJson(ex, settings.maxBodyBytes()));
        if (f.integer("n", 1, 1, 1) != 1) throw ApiException.badRequest("'n' must be 1");
        GenerationParams p = GenerationParams.read(f, m.generator().contextLength());
        int[] prompt = prompt(f, m, settings);
        // A prompt the context cannot hold, or an empty one, is refused with a 400 where the generator checks it.
        int budget = p.budget(prompt.length, m.generator().contextLength());
        GenerationRun run = new GenerationRun(m.generator(), () -> new SequenceRequest(prompt, budget, p.sampling(), p.stops()), metrics);
        String id = idPrefix() + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        if (p.stream()) stream(ex, m, run, p, id, created);
        else answer(ex, m, run, id, created);
    }

    private void stream(HttpExchange ex, ServingModel m, GenerationRun run, GenerationParams p, String id, long created) throws InterruptedException {
        try (EventStream events = new EventStream(ex)) {
            boolean first = true;
            while (true) {
                GenerationRun.Event e = run.next();
                if (e.completion() == null) {
                    if (!events.send(chunk(m, id, created, delta(e.text(), first), null))) {
                        run.cancel();
                        return;
                    }
                    first = false;
                    continue;
                }
                Completion c = e.completion();
                if (c.reason() == FinishReason.CANCELLED) return;
                if (c.reason() == FinishReason.ERROR) {
                    events.send(Exchanges.error("server_error", c.error()));
                    return;
                }
                ObjectNode last = chunk(m, id, created, delta("", first), c.reason().wire());
                timings(last, c);
                events.send(last);
                if (p.includeUsage()) {
                    ObjectNode usage = base(m, id, created, true);
                    usage.putArray("choices");
                    usage.set("usage", usage(c));
                    events.send(usage);
                }
                events.done();
                return;
            }
        } catch (IOException e) {
            run.cancel();
        }
    }

    private void answer(HttpExchange ex, ServingModel m, GenerationRun run, String id, long created) throws IOException, InterruptedException {
        StringBuilder text = new StringBuilder();
        Completion c;
        while (true) {
            GenerationRun.Event e = run.next();
            if (e.completion() != null) {
                c = e.completion();
                break;
            }
            text.append(e.text());
        }
        if (c.reason() == FinishReason.ERROR) throw new ApiException(500, "server_error", c.error());
        if (c.reason() == FinishReason.CANCELLED) throw new ApiException(503, "server_error", "the request was cancelled: the server is stopping");
        ObjectNode body = base(m, id, created, false);
        ObjectNode choice = whole(text.toString());
        choice.put("index", 0).put("finish_reason", c.reason().wire());
        body.putArray("choices").add(choice);
        body.set("usage", usage(c));
        timings(body, c);
        Exchanges.sendJson(ex, 200, body);
    }

    private ObjectNode base(ServingModel m, String id, long created, boolean chunk) {
        return Exchanges.JSON.createObjectNode().put("id", id).put("object", object(chunk)).put("created", created).put("model", m.id());
    }

    private ObjectNode chunk(ServingModel m, String id, long created, ObjectNode choice, String finishReason) {
        ObjectNode body = base(m, id, created, true);
        choice.put("index", 0);
        if (finishReason == null) choice.putNull("finish_reason");
        else choice.put("finish_reason", finishReason);
        body.putArray("choices").add(choice);
        return body;
    }

    private static ObjectNode usage(Completion c) {
        return Exchanges.JSON.createObjectNode().put("prompt_tokens", c.promptTokens()).put("completion_tokens", c.completionTokens())
                .put("total_tokens", c.promptTokens() + c.completionTokens());
    }

    /** llama-server's {@code timings}, which its chat page (and ours) reads for tokens/s. */
    private static void timings(ObjectNode body, Completion c) {
        body.putObject("timings").put("prompt_n", c.promptTokens() - c.reusedTokens()).put("cache_n", c.reusedTokens())
                .put("prompt_ms", c.prefillNanos() / 1e6).put("predicted_n", c.completionTokens())
                .put("predicted_ms", c.decodeNanos() / 1e6).put("predicted_per_second", c.decodeTokensPerSecond())
                .put("queue_ms", c.queueNanos() / 1e6);
    }
}
