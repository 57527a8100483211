package dev.lowbit.server;

/** A request the server answers with an OpenAI-style error: {@code {"error": {"message", "type", "code"}}} and a status. */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String type;

    public ApiException(int status, String type, String message) {
        super(message);
        this.status = status;
        this.type = type;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, "invalid_request_error", message);
    }

    public int status() {
        return status;
    }

    public String type() {
        return type;
    }
}
