package dev.lowbit.engine.model;

import java.util.List;

/**
 * One matrix inside a fused one (Phi-3 stores q/k/v and gate/up each as one matrix): its canonical name and its rows
 * there. GGUF and Hugging Face files split them by these, as views of the mapped file.
 */
public record FusedRows(String name, int from, int count) {

    /** q, k and v in a fused {@code attn_qkv} of block prefix {@code p} ({@code "blk.3."}) with {@code rows} rows. */
    public static List<FusedRows> qkv(String p, LlamaConfig c, long rows) {
        if (rows != c.qDim() + 2L * c.kvDim()) throw new IllegalArgumentException("has " + rows + " rows, expected q+k+v = " + (c.qDim() + 2L * c.kvDim()));
        return List.of(new FusedRows(p + "attn_q", 0, c.qDim()), new FusedRows(p + "attn_k", c.qDim(), c.kvDim()),
                new FusedRows(p + "attn_v", c.qDim() + c.kvDim(), c.kvDim()));
    }

    /** Gate (the first half, the one activated) and up in a fused gate/up of block prefix {@code p}. */
    public static List<FusedRows> gateUp(String p, LlamaConfig c, long rows) {
        if (rows != 2L * c.hiddenDim()) throw new IllegalArgumentException("has " + rows + " rows, expected 2 × " + c.hiddenDim());
        return List.of(new FusedRows(p + "ffn_gate", 0, c.hiddenDim()), new FusedRows(p + "ffn_up", c.hiddenDim(), c.hiddenDim()));
    }
}
