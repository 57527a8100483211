package dev.lowbit.kernels;

/**
 * One token's input vector prepared in the form some matrices read it, as ggml converts an input to the weight
 * type's {@code vec_dot_type} and llama2.c's {@code runq.c} quantizes it into its run state: built once per
 * token, read by every matrix of that {@link InputForm}. The caller (the inference state) owns it and reuses it
 * token after token.
 */
public interface PreparedInput {

    /** Prepares {@code x[0 .. cols)}; x is held, not copied, until the next call. */
    void prepare(float[] x);

    /** The floats last prepared. */
    float[] floats();
}
