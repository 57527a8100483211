package dev.lowbit.engine.format.gguf;

import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.NamedWeights;
import dev.lowbit.engine.model.RopeStyle;
import dev.lowbit.engine.model.SyntheticWeights;
import dev.lowbit.kernels.WeightMatrix;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * GGUF files in the tensor types people download, for tests that run every command on every kind of source: the real
 * stories260K with its matrices as F32, F16, Q8_0 or Q4_0 (the {@code ffn_down} matrices, 172 columns wide, stay F32 for the
 * block types, as llama.cpp's quantizer keeps rows that are not whole blocks), and a random-weight Llama of 256-wide
 * rows in Q4_K, whose blocks are 256 values (stories260K's rows are 64 and 172).
 */
public final class GgufSources {
    private GgufSources() {}

    /** stories260K with its matrices in {@code type}: F32, F16, Q8_0 or Q4_0. */
    public static byte[] stories(String type) {
        int id = switch (type) {
            case "F32" -> 0;
            case "F16" -> 1;
            case "Q4_0" -> 2;
            case "Q8_0" -> 8;
            default -> throw new IllegalArgumentException(type);
        };
        if (id == 0) return ParityModels.bytes("stories260K");
        return GgufModelTest.stories(name -> id == 1 || !name.endsWith("ffn_down"), new HashMap<>(), id).bytes();
    }

    /** A two-layer Llama (dim 256, FFN 512, stories vocabulary) with every matrix in Q4_K: random codes, scales and minima. */
    public static byte[] q4K() {
        LlamaConfig c = new LlamaConfig(256, 512, 2, 4, 2, 64, 512, 128, 1e-5f, 10000f, RopeStyle.ADJACENT_PAIRS);
        NamedWeights named = NamedWeights.of(SyntheticWeights.random(c, 171, false, false));
        GgufWriter g = ParityModels.header("llama", c);
        SplittableRandom r = new SplittableRandom(172);
        for (Map.Entry<String, WeightMatrix> e : named.matrices().entrySet()) {
            WeightMatrix m = e.getValue();
            g.tensor(e.getKey() + ".weight", GgmlType.Q4_K.id, q4KBlocks(m.rows() * m.cols() / 256, r), m.cols(), m.rows());
        }
        named.vectors().forEach((name, v) -> g.tensor(name + ".weight", 0, GgufWriter.f32(v), v.length));
        return g.bytes();
    }

    /** ggml's block_q4_K: f16 d and dmin, 12 bytes of packed 6-bit scales and minima, 128 bytes of 4-bit codes. */
    private static byte[] q4KBlocks(int blocks, SplittableRandom r) {
        ByteBuffer b = ByteBuffer.allocate(blocks * 144).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < blocks; k++) {
            b.putShort(Float.floatToFloat16(0.002f)).putShort(Float.floatToFloat16(0.001f));
            byte[] rest = new byte[140];
            r.nextBytes(rest);
            b.put(rest);
        }
        return b.array();
    }
}
