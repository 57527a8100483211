package dev.lowbit.hub;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The hub's HTTP API, as {@code huggingface_hub} uses it: the file list at a revision
 * ({@code GET /api/models/REPO/revision/REV}), a file's commit, etag and size ({@code HEAD /REPO/resolve/REV/PATH},
 * not following the redirect, reading {@code X-Repo-Commit}, {@code X-Linked-Etag} and {@code X-Linked-Size}), and
 * its bytes from an offset ({@code Range}). {@code HF_TOKEN} goes to the hub only, never to a host it redirects to.
 * Connections time out after 30 s of silence, so a stalled download ends with an error instead of hanging.
 */
public final class HubClient {
    private static final int TIMEOUT_MS = 30_000;
    private static final int MAX_LISTING_BYTES = 16 << 20;
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).build()).build());

    private final URI endpoint;
    private final String token;

    public HubClient(URI endpoint, String token) {
        if (endpoint.getScheme() == null || !endpoint.getScheme().matches("https?") || endpoint.getHost() == null) {
            throw new HubException("HF_ENDPOINT '" + endpoint + "' is not an http(s) address");
        }
        this.endpoint = URI.create(endpoint.toString().replaceAll("/+$", ""));
        this.token = token == null || token.isBlank() ? null : token.strip();
    }

    /** {@code $HF_ENDPOINT} (default https://huggingface.co) and {@code $HF_TOKEN}. */
    public static HubClient fromEnvironment(Map<String, String> env) {
        String endpoint = env.getOrDefault("HF_ENDPOINT", "https://huggingface.co");
        try {
            return new HubClient(new URI(endpoint.isBlank() ? "https://huggingface.co" : endpoint), env.get("HF_TOKEN"));
        } catch (URISyntaxException e) {
            throw new HubException("HF_ENDPOINT '" + endpoint + "' is not an address");
        }
    }

    /** The revision's commit and its files. */
    public Listing listing(RepoId repo, String revision) throws IOException {
        URI uri = url("/api/models/" + repo + "/revision/" + revision);
        HttpURLConnection c = open(uri, "GET", true);
        check(c, repo, null, revision);
        byte[] body;
        try (InputStream in = c.getInputStream()) {
            body = in.readNBytes(MAX_LISTING_BYTES + 1);
        }
        if (body.length > MAX_LISTING_BYTES) throw new HubException(repo + ": the file list is larger than " + (MAX_LISTING_BYTES >> 20) + " MiB");
        JsonNode j;
        try {
            j = JSON.readTree(body);
        } catch (IOException e) {
            throw new HubException(repo + ": the hub's file list is not JSON (" + uri + ")");
        }
        List<String> files = new ArrayList<>();
        for (JsonNode s : j.path("siblings")) {
            if (!s.path("rfilename").isTextual()) throw new HubException(repo + ": a file in the hub's list has no name");
            files.add(RepoPath.check(repo, s.path("rfilename").textValue()));
        }
        return new Listing(RepoPath.commit(repo, j.path("sha").asText(null)), files);
    }

    /** The revision's commit and the paths of its files. */
    public record Listing(String commit, List<String> files) {}

    /** HEAD on the resolve URL, without following its redirect (the headers that matter are on the first answer). */
    RemoteFile resolve(RepoId repo, String revision, String path) throws IOException {
        URI uri = url("/" + repo + "/resolve/" + revision + "/" + path);
        HttpURLConnection c = open(uri, "HEAD", true);
        int status = check(c, repo, path, revision);
        String commit = RepoPath.commit(repo, c.getHeaderField("X-Repo-Commit"));
        String etag = c.getHeaderField("X-Linked-Etag") != null ? c.getHeaderField("X-Linked-Etag") : c.getHeaderField("ETag");
        String size = c.getHeaderField("X-Linked-Size") != null ? c.getHeaderField("X-Linked-Size") : c.getHeaderField("Content-Length");
        long bytes;
        try {
            bytes = Long.parseLong(size == null ? "" : size.strip());
        } catch (NumberFormatException e) {
            throw new HubException(repo + "/" + path + ": the hub gave no size");
        }
        if (bytes < 0) throw new HubException(repo + "/" + path + ": the hub gave a negative size");
        URI location = uri;
        if (status / 100 == 3) {
            String to = c.getHeaderField("Location");
            if (to == null) throw new HubException(repo + "/" + path + ": a redirect with no Location");
            location = uri.resolve(to);
        }
        return new RemoteFile(path, commit, RepoPath.etag(repo, path, etag), bytes, location);
    }

    /**
     * GET from byte {@code from} on ({@code Range} when not 0), following up to 5 redirects; the token only goes to the
     * hub's own host. The answer's status tells whether the range was honoured (206) or the whole file comes (200).
     */
    HttpURLConnection get(RepoId repo, RemoteFile f, long from) throws IOException {
        URI uri = f.location();
        for (int hops = 0; hops <= 5; hops++) {
            HttpURLConnection c = open(uri, "GET", sameHost(uri));
            if (from > 0) c.setRequestProperty("Range", "bytes=" + from + "-");
            int status;
            try {
                status = c.getResponseCode();
            } catch (IOException e) {
                throw new HubException(repo + "/" + f.path() + ": cannot reach " + uri.getHost() + ": " + e.getMessage());
            }
            if (status / 100 == 3) {
                String to = c.getHeaderField("Location");
                c.disconnect();
                if (to == null) throw new HubException(repo + "/" + f.path() + ": a redirect with no Location");
                uri = uri.resolve(to);
                continue;
            }
            if (status == 416) return c; // the range starts at the end: the partial file is whole
            check(c, repo, f.path(), f.commit());
            return c;
        }
        throw new HubException(repo + "/" + f.path() + ": more than 5 redirects");
    }

    private boolean sameHost(URI uri) {
        return endpoint.getHost().equalsIgnoreCase(uri.getHost()) && endpoint.getPort() == uri.getPort();
    }

    private URI url(String path) {
        try {
            return new URI(endpoint.getScheme(), endpoint.getRawAuthority(), endpoint.getPath() + path, null, null);
        } catch (URISyntaxException e) {
            throw new HubException("cannot make an address of " + path);
        }
    }

    private HttpURLConnection open(URI uri, String method, boolean withToken) throws IOException {
        HttpURLConnection c = (HttpURLConnection) uri.toURL().openConnection();
        c.setInstanceFollowRedirects(false);
        c.setConnectTimeout(TIMEOUT_MS);
        c.setReadTimeout(TIMEOUT_MS);
        c.setRequestMethod(method);
        c.setRequestProperty("User-Agent", "lowbit");
        if (withToken && token != null) c.setRequestProperty("Authorization", "Bearer " + token);
        return c;
    }

    /** The status, or the one-line error a failed answer deserves. */
    private int check(HttpURLConnection c, RepoId repo, String path, String revision) throws IOException {
        int status;
        try {
            status = c.getResponseCode();
        } catch (IOException e) {
            throw new HubException("cannot reach " + c.getURL().getHost() + ": " + e.getMessage());
        }
        String what = path == null ? repo.toString() : repo + "/" + path;
        return switch (status) {
            case 200, 206, 301, 302, 303, 307, 308 -> status;
            case 401 -> throw new HubException(what + ": 401 Unauthorized — the repository is gated or private;"
                    + (token == null ? " set HF_TOKEN to a token that has access" : " HF_TOKEN has no access to it"));
            case 403 -> throw new HubException(what + ": 403 Forbidden — accept the model's terms on the hub with the account of HF_TOKEN");
            case 404 -> throw new HubException(what + ": 404 Not Found at revision " + revision);
            default -> throw new HubException(what + ": HTTP " + status + " from " + c.getURL().getHost());
        };
    }
}
