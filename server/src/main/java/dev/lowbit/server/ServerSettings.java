package dev.lowbit.server;

/**
 * How {@code lowbit serve} listens and what it accepts.
 *
 * @param apiKey        when not null, every API request needs {@code Authorization: Bearer apiKey}
 * @param parallel      sequences decoded together; more requests wait in a queue of {@code queue}, then get 503
 * @param contextLength tokens per sequence (prompt and reply)
 * @param maxBodyBytes  the largest request body
 * @param maxMessages   the most messages one chat request may hold
 * @param modelId       the name {@code /v1/models} gives the model
 */
public record ServerSettings(String host, int port, String apiKey, int parallel, int contextLength, int queue,
                             int maxBodyBytes, int maxMessages, String modelId) {
    public ServerSettings {
        if (host == null || host.isBlank()) throw new IllegalArgumentException("--host is empty");
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--port must be in 0..65535, got " + port);
        if (apiKey != null && apiKey.isBlank()) throw new IllegalArgumentException("--api-key is empty");
        if (parallel < 1 || parallel > 64) throw new IllegalArgumentException("--parallel must be in 1..64, got " + parallel);
        if (contextLength < 16) throw new IllegalArgumentException("--ctx must be >= 16, got " + contextLength);
        if (queue < 0) throw new IllegalArgumentException("--queue must be >= 0, got " + queue);
        if (maxBodyBytes < 1024) throw new IllegalArgumentException("the body limit must be at least 1 KiB");
        if (maxMessages < 1) throw new IllegalArgumentException("the message limit must be at least 1");
        if (modelId == null || modelId.isBlank()) throw new IllegalArgumentException("the model needs a name");
    }
}
