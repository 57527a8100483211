package dev.lowbit.engine.model;

import dev.lowbit.kernels.WeightMatrix;
import java.util.List;

/**
 * All weights of a Llama-family model. {@code classifier} may be the same object as {@code tokenEmbedding}
 * (tied embeddings).
 */
public record LlamaWeights(WeightMatrix tokenEmbedding, List<LayerWeights> layers, float[] finalNorm, WeightMatrix classifier) {

    public LlamaWeights {
        layers = List.copyOf(layers);
    }

    public void validate(LlamaConfig c) {
        if (layers.size() != c.nLayers()) {
            throw new IllegalArgumentException(layers.size() + " layers, config says " + c.nLayers());
        }
        LayerWeights.checkMatrix(tokenEmbedding, c.vocabSize(), c.dim(), -1, "token embedding");
        LayerWeights.checkMatrix(classifier, c.vocabSize(), c.dim(), -1, "classifier");
        LayerWeights.checkVector(finalNorm, c.dim(), -1, "final norm");
        for (int l = 0; l < layers.size(); l++) layers.get(l).validate(c, l);
    }

    public boolean tiedClassifier() {
        return classifier == tokenEmbedding;
    }
}
