package dev.lowbit.engine.train;

import dev.lowbit.engine.model.LayerWeights;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.kernels.WeightMatrix;
import java.util.ArrayList;
import java.util.List;

/**
 * A model for the backward pass: its blocks and classifier as plain fp32 arrays; the embedding stays a weight
 * matrix, as only its rows are read.
 */
public record DenseModel(LlamaConfig config, WeightMatrix embedding, List<DenseBlock> blocks, float[] finalNorm, Dense classifier) {
    public DenseModel {
        if (!config.traits().isLlama()) {
            throw new IllegalArgumentException("the backward pass covers the Llama/Qwen block only; this model has " + config.traits());
        }
        blocks = List.copyOf(blocks);
        if (blocks.size() != config.nLayers()) throw new IllegalArgumentException(blocks.size() + " blocks, config says " + config.nLayers());
        if (classifier.rows() != config.vocabSize() || classifier.cols() != config.dim()) throw new IllegalArgumentException("classifier shape");
    }

    /** Copies of a model's block and classifier values. */
    public static DenseModel of(LlamaConfig c, LlamaWeights w) {
        List<DenseBlock> blocks = new ArrayList<>();
        for (LayerWeights l : w.layers()) blocks.add(DenseBlock.of(l));
        return new DenseModel(c, w.tokenEmbedding(), blocks, w.finalNorm(), Dense.of(w.classifier()));
    }

    /** The same model with other blocks. */
    public DenseModel withBlocks(List<DenseBlock> other) {
        return new DenseModel(config, embedding, other, finalNorm, classifier);
    }
}
