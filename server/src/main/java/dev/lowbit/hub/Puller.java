package dev.lowbit.hub;

import dev.lowbit.engine.eval.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;

/**
 * {@code lowbit pull}: picks a repository's files, downloads each into the cache's blobs (resuming a partial one
 * with {@code Range}, never past its advertised size), checks its hash against its etag, and only then links it into
 * the snapshot. A file already in the cache is not fetched again.
 */
public final class Puller {
    /** Weights in formats lowbit does not read; a safetensors repository often carries them beside. */
    private static final List<String> OTHER_WEIGHTS = List.of("*.bin", "*.pt", "*.pth", "*.h5", "*.msgpack", "*.onnx", "*.ckpt", "*.tflite", "*.ot");

    private final HubClient client;
    private final HubCache cache;
    private final Function<String, Progress> progress; // per file, by its path

    public Puller(HubClient client, HubCache cache, Function<String, Progress> progress) {
        this.client = client;
        this.cache = cache;
        this.progress = progress;
    }

    /** What a pull left in the cache: the snapshot folder and the files it holds from this pull. */
    public record Pulled(Path snapshot, List<Path> files, long downloadedBytes) {}

    public Pulled pull(RepoId repo, String revision, List<String> includes, String quant) {
        try {
            return pullFiles(repo, revision, includes, quant);
        } catch (IOException e) { // the cache folder, or a connection in a way the steps do not name
            throw new HubException(repo + ": " + e);
        }
    }

    private Pulled pullFiles(RepoId repo, String revision, List<String> includes, String quant) throws IOException {
        RepoPath.revision(revision);
        HubClient.Listing listing = client.listing(repo, revision);
        List<String> files = select(repo, listing.files(), includes, quant);
        List<Path> done = new ArrayList<>();
        long downloaded = 0;
        for (String path : files) {
            RemoteFile f = client.resolve(repo, revision, path);
            Path blob = cache.blob(repo, f.etag());
            if (!(Files.isRegularFile(blob) && Files.size(blob) == f.size())) downloaded += download(repo, f, blob);
            cache.link(repo, f.commit(), path, f.etag());
            cache.writeRef(repo, revision, f.commit());
            done.add(cache.snapshot(repo, f.commit()).resolve(path));
        }
        return new Pulled(cache.snapshot(repo, listing.commit()), done, downloaded);
    }

    /**
     * The files to fetch: those matching {@code --include}; else for {@code --quant} the GGUF files of that
     * quantization (every part of a split one); else, for a repository of GGUF files, its only quantization; else
     * everything but weights in formats lowbit does not read.
     */
    static List<String> select(RepoId repo, List<String> all, List<String> includes, String quant) {
        List<String> out = new ArrayList<>();
        if (!includes.isEmpty()) {
            for (String p : all) if (includes.stream().anyMatch(g -> GgufFiles.matchesGlob(p, g))) out.add(p);
            if (out.isEmpty()) throw new HubException(repo + ": no file matches " + String.join(", ", includes));
            return out;
        }
        List<String> ggufs = all.stream().filter(GgufFiles::isGguf).toList();
        if (quant != null) {
            for (String p : ggufs) if (GgufFiles.matchesQuant(p, quant)) out.add(p);
            if (out.isEmpty()) {
                throw new HubException(repo + ": no GGUF file of quantization " + quant + (ggufs.isEmpty() ? " (it has no GGUF files)"
                        : "; it has " + String.join(", ", GgufFiles.quants(ggufs))));
            }
            return out;
        }
        if (!ggufs.isEmpty() && all.stream().noneMatch(p -> p.endsWith(".safetensors"))) {
            List<String> quants = GgufFiles.quants(ggufs);
            if (quants.size() > 1) throw new HubException(repo + " has several quantizations; choose one with --quant: " + String.join(", ", quants));
            return ggufs;
        }
        for (String p : all) {
            if (GgufFiles.isGguf(p) || OTHER_WEIGHTS.stream().anyMatch(g -> GgufFiles.matchesGlob(p.substring(p.lastIndexOf('/') + 1), g))) continue;
            out.add(p);
        }
        return out;
    }

    /** Into {@code blob} by way of {@code blob.incomplete}, resumed when that exists; returns the bytes fetched now. */
    private long download(RepoId repo, RemoteFile f, Path blob) throws IOException {
        Files.createDirectories(blob.getParent());
        Path partial = blob.resolveSibling(blob.getFileName() + ".incomplete");
        long have = Files.isRegularFile(partial) ? Files.size(partial) : 0;
        if (have > f.size()) {
            Files.delete(partial);
            have = 0;
        }
        long fetched = 0;
        Progress bar = progress.apply(f.path());
        if (have < f.size()) {
            HttpURLConnection c = client.get(repo, f, have);
            int status = c.getResponseCode();
            boolean append = status == 206;
            if (status == 416) append = true; // nothing left to send
            if (!append) have = 0;
            String name = repo + "/" + f.path();
            long start = System.nanoTime(), at = have;
            if (status != 416) {
                try (InputStream in = c.getInputStream();
                     OutputStream out = Files.newOutputStream(partial, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                             append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING)) {
                    byte[] buf = new byte[1 << 20];
                    for (int n; (n = in.read(buf)) > 0; ) {
                        if (at + n > f.size()) {
                            out.close();
                            Files.deleteIfExists(partial);
                            throw new HubException(name + ": the server sent more than the advertised " + f.size() + " bytes; the download was deleted");
                        }
                        out.write(buf, 0, n);
                        at += n;
                        fetched += n;
                        double seconds = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
                        bar.update(at, f.size(), String.format("%.1f MB/s", fetched / seconds / 1e6));
                    }
                } catch (HubException e) {
                    throw e;
                } catch (IOException e) {
                    throw cut(name, at, f.size(), e.getMessage());
                } finally {
                    c.disconnect();
                }
            }
            if (at < f.size()) throw cut(name, at, f.size(), "the stream ended");
        }
        bar.update(f.size(), f.size(), "checking");
        verify(repo, f, partial);
        Files.move(partial, blob, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return fetched;
    }

    private static HubException cut(String name, long at, long size, String why) {
        return new HubException(name + ": the connection was cut after " + at + " of " + size + " bytes (" + why
                + "); run the same pull again to resume");
    }

    /** The etag is the file's SHA-256 (an LFS file) or its git blob SHA-1 (a small file); a mismatch deletes the download. */
    private static void verify(RepoId repo, RemoteFile f, Path file) throws IOException {
        boolean lfs = f.etag().length() == 64;
        MessageDigest md;
        try {
            md = MessageDigest.getInstance(lfs ? "SHA-256" : "SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        if (!lfs) md.update(("blob " + f.size() + "\0").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
        String got = HexFormat.of().formatHex(md.digest());
        if (!got.equals(f.etag())) {
            Files.deleteIfExists(file);
            throw new HubException(repo + "/" + f.path() + ": " + (lfs ? "SHA-256" : "git SHA-1") + " mismatch (expected " + f.etag()
                    + ", got " + got + "); the download was deleted");
        }
    }
}
