package dev.lowbit.engine;

/** An error meant for the user: its message is one complete line that says what went wrong. */
public class LowbitException extends RuntimeException {
    public LowbitException(String message) {
        super(message);
    }

    public LowbitException(String message, Throwable cause) {
        super(message, cause);
    }
}
