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
}
