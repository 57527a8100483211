package dev.lowbit.engine.format;

import dev.lowbit.engine.model.LayerWeights;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.kernels.WeightMatrix;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/** Test helper: writes weights as a llama2.c version-0 checkpoint, following run.c's reading order. */
public final class Llama2cWriter {
    private Llama2cWriter() {}

    public static void write(Path path, LlamaConfig c, LlamaWeights w) throws IOException {
        try (OutputStream os = Files.newOutputStream(path); DataOutputStream out = new DataOutputStream(os)) {
            int vocab = w.tiedClassifier() ? c.vocabSize() : -c.vocabSize();
            for (int v : new int[] {c.dim(), c.hiddenDim(), c.nLayers(), c.nHeads(), c.nKvHeads(), vocab, c.contextLength()}) {
                out.write(le(v));
            }
            matrix(out, w.tokenEmbedding());
            each(out, w, l -> l.attnNorm());
            eachMatrix(out, w, LayerWeights::wq);
            eachMatrix(out, w, LayerWeights::wk);
            eachMatrix(out, w, LayerWeights::wv);
            eachMatrix(out, w, LayerWeights::wo);
            each(out, w, l -> l.ffnNorm());
            eachMatrix(out, w, LayerWeights::wGate);
            eachMatrix(out, w, LayerWeights::wDown);
            eachMatrix(out, w, LayerWeights::wUp);
            floats(out, w.finalNorm());
            floats(out, new float[c.contextLength() * c.headDim()]); // freq_cis_real and _imag, unused
            if (!w.tiedClassifier()) matrix(out, w.classifier());
        }
    }

    private static void each(DataOutputStream out, LlamaWeights w, Function<LayerWeights, float[]> f) throws IOException {
        for (LayerWeights l : w.layers()) floats(out, f.apply(l));
    }

    private static void eachMatrix(DataOutputStream out, LlamaWeights w, Function<LayerWeights, WeightMatrix> f) throws IOException {
        for (LayerWeights l : w.layers()) matrix(out, f.apply(l));
    }

    private static void matrix(DataOutputStream out, WeightMatrix m) throws IOException {
        float[] row = new float[m.cols()];
        for (int r = 0; r < m.rows(); r++) {
            m.readRow(r, row, 0);
            floats(out, row);
        }
    }

    private static void floats(DataOutputStream out, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        out.write(b.array());
    }

    private static byte[] le(int v) {
        return ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(v).array();
    }
}
