package dev.lowbit.quant.awq;

import dev.lowbit.engine.model.LayerWeights;

/**
 * A decoder block with AWQ scales folded in, as mutable fp32 copies (clipping works on them next). Each scale
 * vector multiplies the input columns of its linears and divides the operation that produces their input, so the
 * fp32 function is unchanged: q/k/v columns × s, attention norm ÷ s; o columns × s, v rows (and bias) ÷ s;
 * gate/up columns × s, MLP norm ÷ s; down columns × s, up rows ÷ s (act(gate) ⊙ up is linear in up). Gemma's post-norms
 * act on the sub-blocks' outputs, which the scales leave unchanged.
 */
record FoldedBlock(float[] attnNorm, DenseMatrix wq, DenseMatrix wk, DenseMatrix wv, DenseMatrix wo, float[] qBias, float[] kBias,
                   float[] vBias, float[] qNorm, float[] kNorm, float[] postAttnNorm, float[] ffnNorm, DenseMatrix gate, DenseMatrix up,
                   DenseMatrix down, float[] postFfnNorm) {

    /** {@code o} may be null (not scaled: grouped-query attention). */
    static FoldedBlock fold(LayerWeights fp, float[] qkv, float[] o, float[] mlp, float[] down) {
        DenseMatrix wq = DenseMatrix.of(fp.wq()), wk = DenseMatrix.of(fp.wk()), wv = DenseMatrix.of(fp.wv()), wo = DenseMatrix.of(fp.wo());
        DenseMatrix gate = DenseMatrix.of(fp.wGate()), up = DenseMatrix.of(fp.wUp()), wDown = DenseMatrix.of(fp.wDown());
        wq.multiplyColumns(qkv);
        wk.multiplyColumns(qkv);
        wv.multiplyColumns(qkv);
        float[] vBias = fp.vBias();
        if (o != null) {
            wv.divideRows(o);
            if (vBias != null) vBias = divided(vBias, o);
            wo.multiplyColumns(o);
        }
        gate.multiplyColumns(mlp);
        up.multiplyColumns(mlp);
        up.divideRows(down);
        wDown.multiplyColumns(down);
        return new FoldedBlock(divided(fp.attnNorm(), qkv), wq, wk, wv, wo, fp.qBias(), fp.kBias(), vBias, fp.qNorm(), fp.kNorm(),
                fp.postAttnNorm(), divided(fp.ffnNorm(), mlp), gate, up, wDown, fp.postFfnNorm());
    }

    LayerWeights toWeights() {
        return new LayerWeights(attnNorm, wq.toMatrix(), wk.toMatrix(), wv.toMatrix(), wo.toMatrix(), qBias, kBias, vBias, qNorm, kNorm,
                postAttnNorm, ffnNorm, gate.toMatrix(), up.toMatrix(), down.toMatrix(), postFfnNorm);
    }

    private static float[] divided(float[] v, float[] s) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) out[i] = v[i] / s[i];
        return out;
    }
}
