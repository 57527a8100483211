package dev.lowbit.engine.chat;

/** One turn of a conversation: role {@code system}, {@code user} or {@code assistant}. */
public record ChatMessage(String role, String content) {
    public ChatMessage {
        if (role == null || content == null) throw new IllegalArgumentException("role and content are required");
    }
}
