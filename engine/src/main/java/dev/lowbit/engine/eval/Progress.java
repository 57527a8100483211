package dev.lowbit.engine.eval;

/** Receives progress of long work: {@code done} of {@code total} units, with a short status text. */
@FunctionalInterface
public interface Progress {
    void update(long done, long total, String status);

    Progress NONE = (done, total, status) -> {};
}
