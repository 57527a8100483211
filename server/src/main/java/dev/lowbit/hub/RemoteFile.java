package dev.lowbit.hub;

import java.net.URI;

/**
 * A file as the hub resolves it at a revision ({@code HEAD …/resolve/REV/PATH}): the commit, the blob's etag (its
 * hash), its size, and where to GET it (the resolve URL, or the CDN it redirects to).
 */
record RemoteFile(String path, String commit, String etag, long size, URI location) {
    RemoteFile {
        if (size < 0) throw new IllegalArgumentException("negative size");
    }
}
