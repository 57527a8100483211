package dev.lowbit.kernels;

/** The input of a {@link LutMatrix}, in its kernel's form, with room for the outputs of the matrix's later parts. */
interface TileInput extends PreparedInput {

    /** At least {@code size} floats for the outputs of a matrix's parts after the first ({@link LutMatrix#addPartials}). */
    float[] partials(int size);
}
