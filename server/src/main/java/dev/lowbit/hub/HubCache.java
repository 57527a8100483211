package dev.lowbit.hub;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The Hugging Face hub cache, laid out as {@code huggingface_hub} lays it out, so that files fetched by it, by
 * llama.cpp or by lowbit are shared: {@code models--ORG--NAME/blobs/<etag>} holds each file once,
 * {@code snapshots/<commit>/<path>} links to it, {@code refs/<revision>} names a revision's commit.
 */
public record HubCache(Path root) {
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    /** {@code $HF_HUB_CACHE}, else {@code $HF_HOME/hub}, else {@code ~/.cache/huggingface/hub}. */
    public static HubCache fromEnvironment(Map<String, String> env) {
        String hub = env.get("HF_HUB_CACHE"), home = env.get("HF_HOME");
        if (hub != null && !hub.isBlank()) return new HubCache(Path.of(hub));
        if (home != null && !home.isBlank()) return new HubCache(Path.of(home, "hub"));
        return new HubCache(Path.of(System.getProperty("user.home"), ".cache", "huggingface", "hub"));
    }

    public Path repo(RepoId id) {
        return root.resolve(id.folderName());
    }

    public Path blob(RepoId id, String etag) {
        return repo(id).resolve("blobs").resolve(etag);
    }

    public Path snapshot(RepoId id, String commit) {
        return repo(id).resolve("snapshots").resolve(commit);
    }

    /** The commit a revision names: itself when it is a commit hash, else what {@code refs/<revision>} holds; null when unknown. */
    public String commit(RepoId id, String revision) throws IOException {
        if (COMMIT.matcher(revision).matches()) return revision;
        Path ref = repo(id).resolve("refs").resolve(revision);
        if (!Files.isRegularFile(ref)) return null;
        String commit = Files.readString(ref, StandardCharsets.UTF_8).strip();
        return COMMIT.matcher(commit).matches() ? commit : null;
    }

    /** Records that {@code revision} is {@code commit} (written whole, by rename). */
    void writeRef(RepoId id, String revision, String commit) throws IOException {
        if (revision.equals(commit)) return;
        Path ref = repo(id).resolve("refs").resolve(revision);
        Files.createDirectories(ref.getParent());
        Path tmp = ref.resolveSibling(ref.getFileName() + ".tmp" + ProcessHandle.current().pid());
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        Files.move(tmp, ref, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Links {@code snapshots/<commit>/<path>} to the blob, relatively, as huggingface_hub does. */
    void link(RepoId id, String commit, String path, String etag) throws IOException {
        Path link = snapshot(id, commit).resolve(path);
        Files.createDirectories(link.getParent());
        Path target = link.getParent().relativize(blob(id, etag));
        Path tmp = link.resolveSibling(link.getFileName() + ".tmp" + ProcessHandle.current().pid());
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, target);
        Files.move(tmp, link, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /**
     * What {@code -m ORG/NAME[:QUANT]} names in the cache at {@code main}: the GGUF file of that quantization (its first
     * part when split), or without one the snapshot folder (a Hugging Face model folder, or its only GGUF). Null when
     * the repository or the file is not cached.
     */
    public Path find(RepoId id, String quant) throws IOException {
        String commit = commit(id, "main");
        if (commit == null) return null;
        Path snap = snapshot(id, commit);
        if (!Files.isDirectory(snap)) return null;
        List<Path> ggufs;
        try (Stream<Path> files = Files.walk(snap)) {
            ggufs = files.filter(p -> p.getFileName().toString().toLowerCase().endsWith(".gguf") && Files.exists(p)).sorted().toList();
        }
        if (quant != null) {
            List<Path> matching = ggufs.stream().filter(p -> GgufFiles.matchesQuant(snap.relativize(p).toString(), quant)).toList();
            return matching.isEmpty() ? null : matching.getFirst();
        }
        if (Files.isRegularFile(snap.resolve("config.json"))) return snap;
        return ggufs.size() == 1 ? ggufs.getFirst() : null;
    }
}
