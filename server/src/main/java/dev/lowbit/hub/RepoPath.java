package dev.lowbit.hub;

/** File paths and etags from the hub, which are untrusted: they become file names under the cache. */
final class RepoPath {
    private RepoPath() {}

    /** A relative path with no {@code .} or {@code ..} segment, no empty segment, backslash or control character. */
    static String check(RepoId repo, String path) {
        boolean bad = path == null || path.isEmpty() || path.length() > 1024 || path.startsWith("/") || path.contains("\\");
        if (!bad) {
            for (String seg : path.split("/", -1)) bad |= seg.isEmpty() || seg.equals(".") || seg.equals("..");
            for (char c : path.toCharArray()) bad |= c < 0x20 || c == 0x7f;
        }
        if (bad) throw new HubException(repo + ": refusing the file name '" + path + "' (it would leave the snapshot folder)");
        return path;
    }

    /** An etag as a blob's name: the file's SHA-256 (LFS) or git blob SHA-1, in hex; quotes and a weak prefix dropped. */
    static String etag(RepoId repo, String path, String etag) {
        if (etag == null) throw new HubException(repo + "/" + path + ": the hub sent no ETag");
        String e = etag.strip();
        if (e.startsWith("W/")) e = e.substring(2);
        if (e.length() >= 2 && e.startsWith("\"") && e.endsWith("\"")) e = e.substring(1, e.length() - 1);
        if (!e.matches("[0-9a-f]{40}|[0-9a-f]{64}")) throw new HubException(repo + "/" + path + ": unexpected ETag '" + etag + "'");
        return e;
    }

    /** A commit hash. */
    static String commit(RepoId repo, String commit) {
        if (commit == null || !commit.matches("[0-9a-f]{40}")) throw new HubException(repo + ": the hub sent no valid commit (X-Repo-Commit: " + commit + ")");
        return commit;
    }

    /** A revision to put in a URL and under refs/: a branch, tag or commit name. */
    static String revision(String revision) {
        if (!revision.matches("[A-Za-z0-9][A-Za-z0-9._/-]{0,127}") || revision.contains("..")) {
            throw new HubException("'" + revision + "' is not a revision name");
        }
        return revision;
    }
}
