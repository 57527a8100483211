package dev.lowbit.engine.json;

/** Malformed JSON, or JSON of the wrong shape; the message says where. */
public class JsonException extends RuntimeException {
    public JsonException(String message) {
        super(message);
    }
}
