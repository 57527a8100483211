package dev.lowbit.hub;

import dev.lowbit.engine.LowbitException;

/** A pull that failed: one line naming the repository or file and what went wrong. */
public final class HubException extends LowbitException {
    public HubException(String message) {
        super(message);
    }
}
