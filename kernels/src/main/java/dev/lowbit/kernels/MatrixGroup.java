package dev.lowbit.kernels;

import java.util.ArrayList;
import java.util.List;

/**
 * Matrices that read the same input (q, k and v; gate and up; or one matrix alone). For one token the input is
 * prepared once per distinct {@link InputForm}, into buffers the caller owns ({@link Inputs}), and the matrices
 * that split into units ({@link WeightMatrix#units}) run as one parallel loop: one dispatch and one wait instead of
 * one per matrix, and small matrices (k and v) leave no thread idle at their end. A batch of tokens (prefill)
 * goes to each matrix's own batched product. Groups are built once per model; the buffers belong to the caller.
 */
public final class MatrixGroup {
    private final WeightMatrix[] matrices;
    private final InputForm[] forms; // distinct forms, in order of first use
    private final int[] formOf;      // index into forms, per matrix
    private final int[] partialsAt;  // per matrix, then the total
    private final int[] firstUnit;   // per matrix, then the total

    public MatrixGroup(WeightMatrix... matrices) {
        if (matrices.length == 0) throw new IllegalArgumentException("a group needs a matrix");
        this.matrices = matrices.clone();
        List<InputForm> distinct = new ArrayList<>();
        formOf = new int[matrices.length];
        partialsAt = new int[matrices.length + 1];
        for (int i = 0; i < matrices.length; i++) {
            if (matrices[i].cols() != matrices[0].cols()) {
                throw new IllegalArgumentException("matrices of one group read one input: " + matrices[i].cols() + " vs " + matrices[0].cols() + " columns");
            }
            InputForm form = matrices[i].inputForm();
            int at = distinct.indexOf(form);
            if (at < 0) {
                at = distinct.size();
                distinct.add(form);
            }
            formOf[i] = at;
            partialsAt[i + 1] = partialsAt[i] + matrices[i].partialFloats();
        }
        firstUnit = new int[matrices.length + 1];
        for (int i = 0; i < matrices.length; i++) firstUnit[i + 1] = firstUnit[i] + matrices[i].units();
        forms = distinct.toArray(InputForm[]::new);
    }

    /** The width of the input all members read. */
    public int cols() {
        return matrices[0].cols();
    }

    /** {@code ys[i] = matrices[i] · x} for each of {@code batch} tokens ({@link WeightMatrix#multiply}'s layout). */
    public void multiply(PreparedInputs in, float[] x, float[][] ys, int batch, WorkerPool pool) {
        checkOutputs(ys);
        if (batch > 1) {
            for (int i = 0; i < matrices.length; i++) matrices[i].multiply(x, ys[i], batch, pool);
            return;
        }
        PreparedInput[][] prepared = {prepare(in, x)};
        float[][][] outs = {ys};
        run(new PreparedInputs[] {in}, prepared, outs, pool);
    }

    /**
     * The same product for {@code batch} tokens of different sequences (a decoding step of several), each through the
     * one-token path: every token gets bit for bit what it would get alone, while each unit of weights is read once
     * for all of them (it stays in cache from one token to the next). {@code perToken[t]} holds token t's buffers.
     */
    public void multiplyEach(PreparedInputs[] perToken, float[] x, float[][] ys, int batch, WorkerPool pool) {
        checkOutputs(ys);
        if (perToken.length < batch) throw new IllegalArgumentException(batch + " tokens, buffers for " + perToken.length);
        int cols = cols();
        PreparedInput[][] prepared = new PreparedInput[batch][];
        float[][][] outs = new float[batch][matrices.length][];
        for (int t = 0; t < batch; t++) {
            float[] row = perToken[t].row(cols);
            System.arraycopy(x, t * cols, row, 0, cols);
            prepared[t] = prepare(perToken[t], row);
            for (int i = 0; i < matrices.length; i++) outs[t][i] = perToken[t].output(i, matrices[i].rows());
        }
        run(perToken, prepared, outs, pool);
        for (int t = 0; t < batch; t++) {
            for (int i = 0; i < matrices.length; i++) {
                System.arraycopy(outs[t][i], 0, ys[i], t * matrices[i].rows(), matrices[i].rows());
            }
        }
    }

    private void checkOutputs(float[][] ys) {
        if (ys.length != matrices.length) throw new IllegalArgumentException(matrices.length + " matrices, " + ys.length + " outputs");
    }

    /** x prepared once per distinct form, into the token's buffers. */
    private PreparedInput[] prepare(PreparedInputs in, float[] x) {
        PreparedInput[] prepared = new PreparedInput[forms.length];
        for (int f = 0; f < forms.length; f++) {
            prepared[f] = in.of(forms[f]);
            prepared[f].prepare(x);
        }
        return prepared;
    }

    /** outs[t][i] = matrices[i] · token t's prepared input: all units of all matrices in one parallel loop, tokens innermost. */
    private void run(PreparedInputs[] buffers, PreparedInput[][] prepared, float[][][] outs, WorkerPool pool) {
        int tokens = prepared.length;
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < matrices.length; i++) {
                if (firstUnit[i + 1] == firstUnit[i]) matrices[i].multiply(prepared[t][formOf[i]], outs[t][i], pool);
            }
        }
        if (firstUnit[matrices.length] == 0) return;
        float[][] partials = new float[tokens][];
        for (int t = 0; t < tokens; t++) partials[t] = buffers[t].partials(partialsAt[matrices.length]);
        pool.parallelChunks(firstUnit[matrices.length], 1, (from, to) -> {
            for (int unit = from, i = 0; unit < to; unit++) {
                while (unit >= firstUnit[i + 1]) i++;
                for (int t = 0; t < tokens; t++) {
                    matrices[i].multiplyUnit(unit - firstUnit[i], prepared[t][formOf[i]], outs[t][i], partials[t], partialsAt[i]);
                }
            }
        });
        for (int t = 0; t < tokens; t++) {
            for (int i = 0; i < matrices.length; i++) matrices[i].addPartials(outs[t][i], partials[t], partialsAt[i]);
        }
    }
}
