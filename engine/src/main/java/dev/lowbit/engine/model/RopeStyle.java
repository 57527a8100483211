package dev.lowbit.engine.model;

/** Which pairs of a head's dimensions rotary embeddings rotate together. */
public enum RopeStyle {
    /** (x[2i], x[2i+1]): llama2.c, GGUF {@code llama} tensors (Meta's original layout). */
    ADJACENT_PAIRS,
    /** (x[i], x[i + d/2]): Hugging Face checkpoints ("rotate_half"), GGUF NEOX-style architectures such as qwen2. */
    ROTATE_HALF
}
