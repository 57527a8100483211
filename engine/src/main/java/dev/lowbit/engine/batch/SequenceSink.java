package dev.lowbit.engine.batch;

/** Where a sequence's text goes, called on the generator's thread: keep it short (a write to a socket). */
public interface SequenceSink {
    /** A piece of generated text; false when nobody listens any more (the client left), which ends the sequence. */
    boolean text(String piece);

    /** The end, once, after the last piece. */
    void finished(Completion completion);
}
