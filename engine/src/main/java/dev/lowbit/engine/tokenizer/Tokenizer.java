package dev.lowbit.engine.tokenizer;

/** Text ↔ token ids. Decoding goes through {@link TextStream} so that callers never see half a character. */
public interface Tokenizer {

    int vocabSize();

    /** Token ids of {@code text}, optionally with the beginning/end-of-sequence tokens around it. */
    int[] encode(String text, boolean addBos, boolean addEos);

    /** Beginning-of-sequence id, or -1 when the vocabulary has none. */
    int bos();

    /** End-of-sequence id, or -1. */
    int eos();

    /** True for tokens that end generation (EOS and friends). */
    boolean isStop(int token);

    /**
     * The bytes {@code token} contributes to the text. {@code atStart} is true for the first text token of
     * a sequence (a SentencePiece vocabulary drops the dummy-prefix space there). Control tokens give none.
     */
    byte[] tokenBytes(int token, boolean atStart);

    /** The token as written in the vocabulary ({@code <|im_start|>}, {@code <s>}), for chat templates. */
    String tokenText(int token);

    /** True when the token is a control token (BOS, EOS, ...) that resets the start-of-text state. */
    boolean isControl(int token);

    /** A human-readable kind, for example {@code sentencepiece-bpe (512 tokens)}. */
    String describe();

    default TextStream newStream() {
        return new TextStream(this);
    }

    /** The whole text of {@code tokens}. */
    default String decode(int[] tokens) {
        TextStream stream = newStream();
        StringBuilder sb = new StringBuilder();
        for (int t : tokens) sb.append(stream.push(t));
        return sb.append(stream.flush()).toString();
    }
}
