package dev.lowbit.kernels;

/**
 * The form in which a matrix reads a one-token input ({@link WeightMatrix#inputForm}). Matrices that read the same
 * vector and whose forms are equal share one {@link PreparedInput} ({@link MatrixGroup}).
 */
public interface InputForm {

    /** The floats as they are: what every matrix without a prepared form reads. */
    InputForm FLOATS = FloatInput::new;

    /** A new, empty buffer of this form. */
    PreparedInput newInput();

    /** The float vector itself, held by reference. */
    final class FloatInput implements PreparedInput {
        private float[] x = new float[0];

        @Override
        public void prepare(float[] x) {
            this.x = x;
        }

        @Override
        public float[] floats() {
            return x;
        }
    }
}
