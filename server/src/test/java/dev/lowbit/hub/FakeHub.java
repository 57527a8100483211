package dev.lowbit.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A local stand-in for huggingface.co with the hub's URL and API layout: {@code /api/models/REPO/revision/REV},
 * {@code /REPO/resolve/REV/PATH} (small files answered directly with a git-SHA-1 ETag; LFS files, those ending in
 * .safetensors/.gguf, redirected to a second server, the "CDN", with X-Linked-Etag/-Size), Range requests, and faults
 * to switch on: a cut connection, corrupted bytes, more bytes than advertised, a gated repository.
 */
public final class FakeHub implements AutoCloseable {
    public static final String COMMIT = "0123456789abcdef0123456789abcdef01234567";

    final HttpServer hub, cdn;
    final Map<String, Map<String, byte[]>> repos = new ConcurrentHashMap<>();
    final List<String> gated = new CopyOnWriteArrayList<>();
    final List<String> log = new CopyOnWriteArrayList<>(); // "host METHOD path range auth"
    final Map<String, byte[]> blobs = new ConcurrentHashMap<>(); // sha256 → bytes (served by the CDN)
    volatile int cutAfter = -1;         // the CDN closes the next download after this many bytes
    volatile boolean corrupt;           // the CDN flips a byte
    volatile int extraBytes;            // the CDN sends this many bytes beyond the file
    volatile String token;              // the token a gated repository wants

    public FakeHub() throws IOException {
        hub = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        cdn = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        hub.createContext("/", this::hub);
        cdn.createContext("/", this::cdn);
        hub.start();
        cdn.start();
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    public void add(String repo, Map<String, byte[]> files) {
        repos.put(repo, new LinkedHashMap<>(files));
    }

    static boolean lfs(String path) {
        return path.endsWith(".safetensors") || path.endsWith(".gguf");
    }

    static String sha256(byte[] b) {
        return hex("SHA-256", new byte[0], b);
    }

    static String gitSha1(byte[] b) {
        return hex("SHA-1", ("blob " + b.length + "\0").getBytes(StandardCharsets.US_ASCII), b);
    }

    private static String hex(String alg, byte[] prefix, byte[] b) {
        try {
            MessageDigest md = MessageDigest.getInstance(alg);
            md.update(prefix);
            return HexFormat.of().formatHex(md.digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private void record(String host, HttpExchange ex) {
        log.add(host + " " + ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + " " + ex.getRequestHeaders().getFirst("Range")
                + " " + ex.getRequestHeaders().getFirst("Authorization"));
    }

    private void hub(HttpExchange ex) throws IOException {
        try (ex) {
            record("hub", ex);
            String path = ex.getRequestURI().getPath();
            if (path.startsWith("/api/models/")) {
                String[] p = path.substring("/api/models/".length()).split("/revision/", 2);
                Map<String, byte[]> files = repos.get(p[0]);
                if (files == null) {
                    send(ex, 404, "{\"error\":\"Repository not found\"}".getBytes());
                    return;
                }
                if (!allowed(ex, p[0])) return;
                StringBuilder sb = new StringBuilder("{\"sha\":\"" + COMMIT + "\",\"siblings\":[");
                List<String> names = new ArrayList<>(files.keySet());
                for (int i = 0; i < names.size(); i++) sb.append(i > 0 ? "," : "").append("{\"rfilename\":\"").append(names.get(i)).append("\"}");
                send(ex, 200, sb.append("]}").toString().getBytes(StandardCharsets.UTF_8));
                return;
            }
            // /ORG/NAME/resolve/REV/PATH
            String[] parts = path.substring(1).split("/", 5);
            if (parts.length < 5 || !parts[2].equals("resolve")) {
                send(ex, 404, new byte[0]);
                return;
            }
            String repo = parts[0] + "/" + parts[1], file = parts[4];
            Map<String, byte[]> files = repos.get(repo);
            if (files == null || !files.containsKey(file)) {
                send(ex, 404, new byte[0]);
                return;
            }
            if (!allowed(ex, repo)) return;
            byte[] data = files.get(file);
            ex.getResponseHeaders().set("X-Repo-Commit", COMMIT);
            if (lfs(file)) {
                String sha = sha256(data);
                blobs.put(sha, data);
                ex.getResponseHeaders().set("X-Linked-Etag", "\"" + sha + "\"");
                ex.getResponseHeaders().set("X-Linked-Size", String.valueOf(data.length));
                ex.getResponseHeaders().set("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/blob/" + sha);
                ex.sendResponseHeaders(302, -1);
                return;
            }
            ex.getResponseHeaders().set("ETag", "\"" + gitSha1(data) + "\"");
            serve(ex, data);
        }
    }

    private boolean allowed(HttpExchange ex, String repo) throws IOException {
        if (!gated.contains(repo)) return true;
        if (("Bearer " + token).equals(ex.getRequestHeaders().getFirst("Authorization"))) return true;
        send(ex, 401, "{\"error\":\"Access to this model is restricted\"}".getBytes());
        return false;
    }

    private void cdn(HttpExchange ex) throws IOException {
        try (ex) {
            record("cdn", ex);
            byte[] data = blobs.get(ex.getRequestURI().getPath().substring("/blob/".length()));
            if (data == null) {
                send(ex, 404, new byte[0]);
                return;
            }
            if (corrupt) {
                data = data.clone();
                data[data.length / 2] ^= 1;
            }
            if (extraBytes > 0) data = java.util.Arrays.copyOf(data, data.length + extraBytes);
            serve(ex, data);
        }
    }

    /** The bytes from a Range's start, or all; HEAD gets the headers only. */
    private void serve(HttpExchange ex, byte[] data) throws IOException {
        String range = ex.getRequestHeaders().getFirst("Range");
        int from = 0;
        if (range != null && range.matches("bytes=\\d+-")) from = Integer.parseInt(range.substring(6, range.length() - 1));
        if (from > data.length) {
            ex.sendResponseHeaders(416, -1);
            return;
        }
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", String.valueOf(data.length));
            ex.sendResponseHeaders(200, -1);
            return;
        }
        int n = data.length - from;
        if (from > 0) ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (data.length - 1) + "/" + data.length);
        ex.sendResponseHeaders(from > 0 ? 206 : 200, n == 0 ? -1 : n);
        OutputStream out = ex.getResponseBody();
        int cut = cutAfter;
        if (cut >= 0 && cut < n) {
            cutAfter = -1;
            out.write(data, from, cut);
            out.flush();
            throw new IOException("cut on purpose"); // the exchange closes unfinished: the connection is dropped
        }
        out.write(data, from, n);
    }

    private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) ex.getResponseBody().write(body);
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
    }
}
