package dev.lowbit.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.batch.BatchGenerator;
import dev.lowbit.engine.chat.ChatPrompt;
import dev.lowbit.engine.chat.ChatTemplate;
import dev.lowbit.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;

/**
 * {@code lowbit serve}: the OpenAI HTTP API and a chat page, on the JDK's {@code com.sun.net.httpserver} with a
 * virtual thread per exchange (docs/SERVER.md says why). It listens at once and answers {@code /health} with 503
 * until the model is loaded; requests run through one {@link BatchGenerator}, which decodes them together.
 */
public final class LowbitServer implements AutoCloseable {
    /** Prompt tokens a step runs for a sequence that is starting; a longer prompt runs over several steps. */
    private static final int PREFILL_CHUNK = 128;

    private final ServerSettings settings;
    private final HttpServer http;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final ChatCompletions chat = new ChatCompletions();
    private final TextCompletions text = new TextCompletions();
    private final ServerMetrics metrics = new ServerMetrics();
    private volatile ServingModel model; // null while loading
    private volatile String loadError;

    /** Binds the port (a clear error when it cannot) and starts answering. */
    public LowbitServer(ServerSettings settings) throws IOException {
        this.settings = settings;
        this.http = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 64);
        http.setExecutor(threads);
        http.createContext("/", this::dispatch);
        http.start();
    }

    /** The port it listens on (the one chosen when the settings asked for 0). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Tokens per sequence, once loaded: --ctx, at most the model's context. */
    public int contextLength() {
        return ready().generator().contextLength();
    }

    /**
     * Loads the model (while /health says 503), warms it up when asked ({@link WarmUp}), and starts serving it; the
     * template is the model's own unless given. Returns the warm-up rounds run.
     */
    public int load(Supplier<LoadedModel> loader, ChatTemplate template, boolean warmUp) {
        try {
            LoadedModel m = loader.get();
            Tokenizer tok = m.tokenizer();
            ChatTemplate t = template != null ? template : ChatTemplate.forModel(m.chatTemplate(), tok);
            BatchGenerator g = new BatchGenerator(m.model(), tok, settings.parallel(), settings.contextLength(), settings.queue(), PREFILL_CHUNK);
            int rounds = warmUp ? WarmUp.run(g, m.model().config().vocabSize(), 8) : 0;
            model = new ServingModel(settings.modelId(), m, g, new ChatPrompt(t, tok), System.currentTimeMillis() / 1000);
            return rounds;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            loadError = "interrupted while warming up";
            throw new IllegalStateException(loadError);
        } catch (RuntimeException e) {
            loadError = e.getMessage();
            throw e;
        }
    }

    /** Stops taking requests, lets those in flight finish for up to {@code grace}, then closes. */
    public void shutdown(Duration grace) {
        ServingModel m = model;
        if (m != null) m.generator().shutdown(grace); // meanwhile new requests get 503
        http.stop(grace.isZero() ? 0 : 1);            // a second for the handlers to write their last events
        threads.shutdownNow();
        if (m != null) m.loaded().close();
    }

    @Override
    public void close() {
        shutdown(Duration.ZERO);
    }

    private void dispatch(HttpExchange ex) throws IOException {
        try (ex) {
            try {
                route(ex);
            } catch (ApiException e) {
                Exchanges.sendError(ex, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (RuntimeException e) {
                Exchanges.sendError(ex, new ApiException(500, "server_error", "internal error: " + e));
            }
        } catch (IOException ignored) {
            // the client left while we answered
        }
    }

    private void route(HttpExchange ex) throws IOException, InterruptedException {
        String path = ex.getRequestURI().getPath(), method = ex.getRequestMethod();
        if (method.equals("OPTIONS")) {
            Exchanges.send(ex, 204, "text/plain", new byte[0]);
            return;
        }
        switch (path) {
            case "/", "/index.html" -> page(ex, method);
            case "/health", "/v1/health" -> health(ex, method);
            default -> {
                authorize(ex);
                ServingModel m = ready();
                switch (path) {
                    case "/v1/models", "/models" -> models(ex, method, m);
                    case "/v1/chat/completions", "/chat/completions" -> chat.handle(post(ex, method), m, settings, metrics);
                    case "/v1/completions", "/completions" -> text.handle(post(ex, method), m, settings, metrics);
                    case "/metrics" -> {
                        get(ex, method);
                        Exchanges.send(ex, 200, "text/plain; version=0.0.4", Exchanges.utf8(metrics.render(m.generator().running(), m.generator().queued())));
                    }
                    case "/tokenize" -> tokenize(post(ex, method), m);
                    case "/detokenize" -> detokenize(post(ex, method), m);
                    default -> throw new ApiException(404, "not_found_error", "no endpoint " + path);
                }
            }
        }
    }

    private static HttpExchange post(HttpExchange ex, String method) {
        if (!method.equals("POST")) throw new ApiException(405, "invalid_request_error", ex.getRequestURI().getPath() + " takes POST");
        return ex;
    }

    private static void get(HttpExchange ex, String method) {
        if (!method.equals("GET") && !method.equals("HEAD")) {
            throw new ApiException(405, "invalid_request_error", ex.getRequestURI().getPath() + " takes GET");
        }
    }

    private void authorize(HttpExchange ex) {
        if (settings.apiKey() == null) return;
        String header = ex.getRequestHeaders().getFirst("Authorization");
        byte[] expected = ("Bearer " + settings.apiKey()).getBytes(StandardCharsets.UTF_8);
        if (header == null || !MessageDigest.isEqual(expected, header.strip().getBytes(StandardCharsets.UTF_8))) {
            throw new ApiException(401, "authentication_error", "a valid 'Authorization: Bearer <api key>' header is required");
        }
    }

    private ServingModel ready() {
        ServingModel m = model;
        if (m != null) return m;
        throw new ApiException(503, "unavailable_error", loadError != null ? "the model failed to load: " + loadError : "the model is loading");
    }

    private void health(HttpExchange ex, String method) throws IOException {
        get(ex, method);
        ObjectNode body = Exchanges.JSON.createObjectNode();
        ServingModel m = model;
        if (m != null) { // llama-server's slot counts, so that a client (and a test) sees sequences start and end
            int running = m.generator().running();
            Exchanges.sendJson(ex, 200, body.put("status", "ok").put("slots_idle", m.generator().parallel() - running)
                    .put("slots_processing", running).put("queued", m.generator().queued()));
        } else {
            body.put("status", loadError != null ? "error" : "loading");
            if (loadError != null) body.put("error", loadError);
            Exchanges.sendJson(ex, 503, body);
        }
    }

    private void models(HttpExchange ex, String method, ServingModel m) throws IOException {
        get(ex, method);
        ObjectNode body = Exchanges.JSON.createObjectNode().put("object", "list");
        ArrayNode data = body.putArray("data");
        ObjectNode entry = data.addObject().put("id", m.id()).put("object", "model").put("created", m.createdSeconds()).put("owned_by", "lowbit");
        entry.putObject("meta").put("format", m.loaded().format()).put("n_ctx", m.generator().contextLength())
                .put("n_vocab", m.loaded().tokenizer().vocabSize()).put("parallel", m.generator().parallel());
        Exchanges.sendJson(ex, 200, body);
    }

    /** llama-server's {@code /tokenize}: {@code {"content", "add_special"}} → {@code {"tokens"}}. */
    private void tokenize(HttpExchange ex, ServingModel m) throws IOException {
        RequestFields f = new RequestFields(Exchanges.readJson(ex, settings.maxBodyBytes()));
        if (!f.required("content").isTextual()) throw ApiException.badRequest("'content' must be a string");
        int[] ids = m.loaded().tokenizer().encode(f.required("content").textValue(), f.bool("add_special", false), false);
        ObjectNode body = Exchanges.JSON.createObjectNode();
        ArrayNode tokens = body.putArray("tokens");
        for (int id : ids) tokens.add(id);
        Exchanges.sendJson(ex, 200, body);
    }

    /** {@code {"tokens"}} → {@code {"content"}}. */
    private void detokenize(HttpExchange ex, ServingModel m) throws IOException {
        RequestFields f = new RequestFields(Exchanges.readJson(ex, settings.maxBodyBytes()));
        int[] ids = f.tokens("tokens", m.loaded().tokenizer().vocabSize(), settings.maxBodyBytes());
        Exchanges.sendJson(ex, 200, Exchanges.JSON.createObjectNode().put("content", m.loaded().tokenizer().decode(ids)));
    }

    private void page(HttpExchange ex, String method) throws IOException {
        get(ex, method);
        try (InputStream in = LowbitServer.class.getResourceAsStream("chat.html")) {
            if (in == null) throw new ApiException(500, "server_error", "the chat page is missing from the jar");
            Exchanges.send(ex, 200, "text/html; charset=utf-8", in.readAllBytes());
        }
    }
}
