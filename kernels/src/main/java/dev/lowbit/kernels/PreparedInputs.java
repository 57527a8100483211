package dev.lowbit.kernels;

import java.util.ArrayList;
import java.util.List;

/**
 * The buffers one decoding sequence prepares its inputs into ({@link MatrixGroup}), like the quantized activation
 * of llama2.c's run state: one {@link PreparedInput} per input form met so far (a model whose layers share one
 * recipe meets one or two), and room for partial sums. Not thread-safe: one per sequence.
 */
public final class PreparedInputs {
    private final List<InputForm> forms = new ArrayList<>();
    private final List<PreparedInput> buffers = new ArrayList<>();
    private float[] partials = new float[0];
    private float[] row = new float[0];          // a token's input, copied out of a batch ({@link MatrixGroup#multiplyEach})
    private float[][] outputs = new float[0][];  // its outputs, one per matrix of a group

    /** The buffer of this form, made on first use. */
    PreparedInput of(InputForm form) {
        for (int i = 0; i < forms.size(); i++) if (forms.get(i).equals(form)) return buffers.get(i);
        PreparedInput buffer = form.newInput();
        forms.add(form);
        buffers.add(buffer);
        return buffer;
    }

    float[] partials(int size) {
        if (partials.length < size) partials = new float[size];
        return partials;
    }

    float[] row(int cols) {
        if (row.length < cols) row = new float[cols];
        return row;
    }

    float[] output(int matrix, int rows) {
        if (outputs.length <= matrix) outputs = java.util.Arrays.copyOf(outputs, matrix + 1);
        if (outputs[matrix] == null || outputs[matrix].length < rows) outputs[matrix] = new float[rows];
        return outputs[matrix];
    }
}
