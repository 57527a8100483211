package dev.lowbit.engine;

import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaWeights;
import dev.lowbit.engine.tokenizer.Tokenizer;

/**
 * What a model file holds, in one shape whatever its format (llama2.c, GGUF, Hugging Face folder, {@code .lowbit},
 * synthetic): {@link ModelLoader} builds a runnable model from it.
 *
 * @param format       how the file was read, for messages ({@code gguf v3}, {@code safetensors}, …)
 * @param tokenizer    the tokenizer the file carries or names, or null when it has none (then one must be given)
 * @param chatTemplate the model's own Jinja chat template, or null
 * @param quantization how a {@code .lowbit} file was made; {@link QuantizationInfo#NONE} for other formats
 * @param resources    what to close when the model is done with (mapped files)
 */
public record ModelSource(String format, LlamaConfig config, LlamaWeights weights, Tokenizer tokenizer, String chatTemplate,
                          QuantizationInfo quantization, AutoCloseable resources) {
    public ModelSource {
        if (format == null || config == null || weights == null || quantization == null || resources == null) {
            throw new IllegalArgumentException("a model source needs its format, configuration, weights, quantization record and resources");
        }
    }
}
