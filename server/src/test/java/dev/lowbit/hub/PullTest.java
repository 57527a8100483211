package dev.lowbit.hub;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.eval.Progress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** lowbit pull against a local hub: the cache layout, resuming, hashes, errors, GGUF quantizations. */
class PullTest {
    @TempDir Path dir;
    FakeHub hub;
    HubCache cache;

    static byte[] bytes(int n, long seed) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        cache = new HubCache(dir.resolve("hub"));
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("config.json", "{\"model_type\":\"llama\"}".getBytes(StandardCharsets.UTF_8));
        files.put("model.safetensors", bytes(300_000, 1));
        files.put("tokenizer.json", "{}".getBytes(StandardCharsets.UTF_8));
        files.put("pytorch_model.bin", bytes(1000, 2));
        files.put("sub/README.md", "# hi".getBytes(StandardCharsets.UTF_8));
        hub.add("org/tiny", files);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    private Puller puller(String token) {
        return new Puller(new HubClient(hub.endpoint(), token), cache, path -> Progress.NONE);
    }

    private Puller.Pulled pull(String repo, String quant, String... includes) throws Exception {
        return puller(null).pull(RepoId.parse(repo), "main", List.of(includes), quant);
    }

    @Test
    void aRepositoryLandsInTheHuggingFaceLayoutAndIsNotFetchedTwice() throws Exception {
        Puller.Pulled p = pull("org/tiny", null);
        Path repo = dir.resolve("hub/models--org--tiny");
        assertEquals(FakeHub.COMMIT, Files.readString(repo.resolve("refs/main")));
        Path snap = repo.resolve("snapshots/" + FakeHub.COMMIT);
        assertEquals(snap, p.snapshot());
        for (String f : List.of("config.json", "model.safetensors", "tokenizer.json", "sub/README.md")) {
            Path link = snap.resolve(f);
            assertTrue(Files.isSymbolicLink(link), f);
            assertFalse(Files.readSymbolicLink(link).isAbsolute(), "relative links, as huggingface_hub makes them");
            byte[] expected = hub.repos.get("org/tiny").get(f);
            assertArrayEquals(expected, Files.readAllBytes(link), f);
            String etag = FakeHub.lfs(f) ? FakeHub.sha256(expected) : FakeHub.gitSha1(expected);
            assertEquals(repo.resolve("blobs/" + etag), link.toRealPath(), f);
        }
        assertFalse(Files.exists(snap.resolve("pytorch_model.bin")), "weights lowbit does not read are left");
        assertEquals(300_000 + 22 + 2 + 4, p.downloadedBytes());

        long gets = hub.log.stream().filter(l -> l.contains(" GET ") && !l.contains("/api/")).count();
        Puller.Pulled again = pull("org/tiny", null);
        assertEquals(0, again.downloadedBytes());
        assertEquals(gets, hub.log.stream().filter(l -> l.contains(" GET ") && !l.contains("/api/")).count(), "no file fetched again");
        assertEquals(snap, cache.find(RepoId.parse("org/tiny"), null));
    }

    @Test
    void aCutDownloadResumesWithRangeAndIsVerified() throws Exception {
        hub.cutAfter = 100_000;
        HubException e = assertThrows(HubException.class, () -> pull("org/tiny", null, "model.safetensors"));
        assertTrue(e.getMessage().contains("cut after 100000 of 300000 bytes") && e.getMessage().contains("resume"), e.getMessage());
        Path snap = dir.resolve("hub/models--org--tiny/snapshots/" + FakeHub.COMMIT);
        assertFalse(Files.exists(snap.resolve("model.safetensors")), "nothing in the snapshot before it is whole");
        String sha = FakeHub.sha256(hub.repos.get("org/tiny").get("model.safetensors"));
        assertEquals(100_000, Files.size(dir.resolve("hub/models--org--tiny/blobs/" + sha + ".incomplete")));

        Puller.Pulled p = pull("org/tiny", null, "model.safetensors");
        assertEquals(200_000, p.downloadedBytes());
        assertTrue(hub.log.stream().anyMatch(l -> l.startsWith("cdn GET /blob/" + sha + " bytes=100000-")), hub.log.toString());
        assertArrayEquals(hub.repos.get("org/tiny").get("model.safetensors"), Files.readAllBytes(snap.resolve("model.safetensors")));
        assertFalse(Files.exists(dir.resolve("hub/models--org--tiny/blobs/" + sha + ".incomplete")));
    }

    @Test
    void aWrongHashOrTooManyBytesLeaveNothingBehind() throws Exception {
        hub.corrupt = true;
        HubException e = assertThrows(HubException.class, () -> pull("org/tiny", null, "model.safetensors"));
        assertTrue(e.getMessage().contains("SHA-256 mismatch"), e.getMessage());
        hub.corrupt = false;
        hub.extraBytes = 10;
        HubException more = assertThrows(HubException.class, () -> pull("org/tiny", null, "model.safetensors"));
        assertTrue(more.getMessage().contains("more than the advertised 300000 bytes"), more.getMessage());
        try (Stream<Path> left = Files.walk(dir.resolve("hub/models--org--tiny"))) {
            assertEquals(List.of(), left.filter(Files::isRegularFile).filter(f -> !f.toString().contains("/refs/")).toList());
        }
    }

    @Test
    void missingGatedAndHostileRepositoriesGetOneLineErrors() throws Exception {
        HubException missing = assertThrows(HubException.class, () -> pull("org/none", null));
        assertEquals("org/none: 404 Not Found at revision main", missing.getMessage());

        hub.add("org/gated", Map.of("model.safetensors", bytes(5000, 3)));
        hub.gated.add("org/gated");
        hub.token = "hf_secret";
        HubException gated = assertThrows(HubException.class, () -> pull("org/gated", null));
        assertTrue(gated.getMessage().contains("401") && gated.getMessage().contains("HF_TOKEN"), gated.getMessage());
        puller("hf_secret").pull(RepoId.parse("org/gated"), "main", List.of(), null);
        assertTrue(hub.log.stream().anyMatch(l -> l.startsWith("hub ") && l.endsWith("Bearer hf_secret")));
        assertTrue(hub.log.stream().filter(l -> l.startsWith("cdn ")).allMatch(l -> l.endsWith(" null")), "the token never goes to the CDN");

        hub.add("org/evil", Map.of("../../../escape.txt", bytes(10, 4)));
        HubException evil = assertThrows(HubException.class, () -> pull("org/evil", null));
        assertTrue(evil.getMessage().contains("refusing the file name '../../../escape.txt'"), evil.getMessage());
        assertThrows(HubException.class, () -> RepoId.parse("../etc"));
        assertThrows(HubException.class, () -> RepoId.parse("a/b/c"));
    }

    @Test
    void ggufQuantizationsArePickedByNameAndSplitFilesComeWhole() throws Exception {
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("Model-1B-Q4_K_M.gguf", bytes(2000, 5));
        files.put("Model-1B-Q8_0.gguf", bytes(3000, 6));
        files.put("Model-1B-Q4_0-00001-of-00002.gguf", bytes(1000, 7));
        files.put("Model-1B-Q4_0-00002-of-00002.gguf", bytes(1000, 8));
        files.put("README.md", "x".getBytes(StandardCharsets.UTF_8));
        hub.add("org/model-gguf", files);

        HubException which = assertThrows(HubException.class, () -> pull("org/model-gguf", null));
        assertTrue(which.getMessage().endsWith("choose one with --quant: Q4_0, Q4_K_M, Q8_0"), which.getMessage());
        HubException none = assertThrows(HubException.class, () -> pull("org/model-gguf", "Q5_K_S"));
        assertTrue(none.getMessage().contains("it has Q4_0, Q4_K_M, Q8_0"), none.getMessage());

        Puller.Pulled split = pull("org/model-gguf", "q4_0");
        assertEquals(2, split.files().size());
        Puller.Pulled km = pull("org/model-gguf", "Q4_K_M");
        assertEquals(1, km.files().size());
        RepoId id = RepoId.parse("org/model-gguf");
        assertEquals("Model-1B-Q4_K_M.gguf", cache.find(id, "Q4_K_M").getFileName().toString());
        assertEquals("Model-1B-Q4_0-00001-of-00002.gguf", cache.find(id, "Q4_0").getFileName().toString());
        assertNull(cache.find(id, "Q8_0"), "not pulled");
    }

    @Test
    void anUnreachableCdnIsOneLine() {
        hub.cdn.stop(0);
        HubException e = assertThrows(HubException.class, () -> pull("org/tiny", null, "model.safetensors"));
        assertTrue(e.getMessage().startsWith("org/tiny/model.safetensors: cannot reach 127.0.0.1"), e.getMessage());
    }

    @Test
    void theCacheIsFoundAsHuggingFaceHubFindsIt() {
        assertEquals(Path.of("/a"), HubCache.fromEnvironment(Map.of("HF_HUB_CACHE", "/a", "HF_HOME", "/b")).root());
        assertEquals(Path.of("/b/hub"), HubCache.fromEnvironment(Map.of("HF_HOME", "/b")).root());
        assertEquals(Path.of(System.getProperty("user.home"), ".cache/huggingface/hub"), HubCache.fromEnvironment(Map.of()).root());
    }
}
