package dev.lowbit.quant.awq;

import dev.lowbit.engine.model.LinearHook;
import dev.lowbit.engine.model.LinearKind;
import dev.lowbit.engine.model.LlamaConfig;

/**
 * Records the four distinct linear inputs of one decoder block while the full-precision block runs: the
 * attention input (q, k, v), the attention output (o), the MLP input (gate, up) and the MLP hidden state (down).
 */
final class BlockRecorder implements LinearHook {
    final InputStats attnIn, attnOut, mlpIn, mlpHidden;
    private final int layer;
    /** Whether the tokens now running belong to the scoring subsample. */
    boolean keep;

    BlockRecorder(LlamaConfig c, int layer) {
        this.layer = layer;
        attnIn = new InputStats(c.dim());
        attnOut = new InputStats(c.qDim());
        mlpIn = new InputStats(c.dim());
        mlpHidden = new InputStats(c.hiddenDim());
    }

    @Override
    public void observe(int layer, LinearKind kind, float[] input, int batch, int cols) {
        if (layer != this.layer) return;
        InputStats target = switch (kind) {
            case Q -> attnIn;
            case O -> attnOut;
            case GATE -> mlpIn;
            case DOWN -> mlpHidden;
            default -> null; // k, v and up see the same input as q and gate
        };
        if (target != null) target.add(input, batch, keep);
    }
}
