package dev.lowbit.hub;

import java.util.regex.Pattern;

/** A Hugging Face model repository, {@code ORG/NAME}, checked so that it can name a folder and a URL path. */
public record RepoId(String org, String name) {
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,95}");

    public RepoId {
        if (!PART.matcher(org).matches() || !PART.matcher(name).matches() || org.contains("..") || name.contains("..")) {
            throw new HubException("'" + org + "/" + name + "' is not a repository name (ORG/NAME of letters, digits, '.', '_', '-')");
        }
    }

    /** {@code ORG/NAME}; anything else is refused. */
    public static RepoId parse(String s) {
        int slash = s.indexOf('/');
        if (slash < 0 || slash != s.lastIndexOf('/')) throw new HubException("'" + s + "' is not a repository name (ORG/NAME)");
        return new RepoId(s.substring(0, slash), s.substring(slash + 1));
    }

    /** Whether {@code s} has the shape of a repository name, optionally with {@code :QUANT} (for {@code -m}). */
    public static boolean looksLikeRepo(String s) {
        return s.matches("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*(:[A-Za-z0-9_.-]+)?");
    }

    /** The cache folder's name: {@code models--ORG--NAME}. */
    public String folderName() {
        return "models--" + org + "--" + name;
    }

    @Override
    public String toString() {
        return org + "/" + name;
    }
}
