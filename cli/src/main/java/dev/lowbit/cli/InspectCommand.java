package dev.lowbit.cli;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.ModelLoader;
import dev.lowbit.engine.format.LowbitFile;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.NamedWeights;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model's architecture, hyper-parameters, tensors, tokenizer, quantization and the memory it needs.")
final class InspectCommand implements Callable<Integer> {
    @Spec CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "Model: .lowbit, GGUF, Hugging Face folder, llama2.c checkpoint, or synthetic:NAME.")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "FILE", description = "Tokenizer, when it is not beside the model.")
    Path tokenizer;

    @Option(names = "--tensors", description = "List every tensor (name, shape, storage).")
    boolean tensors;

    @Option(names = {"-c", "--ctx"}, paramLabel = "N", description = "Context length for the KV-cache estimate (default: the model's, at most 4096).")
    Integer ctx;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (LoadedModel m = ModelLoader.load(ModelOptions.resolve(model), tokenizer, 1)) {
            LlamaConfig c = m.model().config();
            out.printf("file:            %s (%s)%n", model, m.format());
            out.printf("architecture:    llama family, %d layers, dim %d, FFN %d, %d heads (%d KV heads, head size %d)%n",
                    c.nLayers(), c.dim(), c.hiddenDim(), c.nHeads(), c.nKvHeads(), c.headDim());
            if (!c.traits().isLlama() || !m.model().weights().layers().getFirst().llamaBlock()) {
                out.printf("block:           %s%s%n", c.traits(), m.model().weights().layers().getFirst().llamaBlock() ? "" : ", post-norms");
            }
            out.printf("context:         %d tokens, RoPE theta %s (%s%s%s), RMSNorm eps %s%n", c.contextLength(), c.ropeTheta(),
                    c.ropeStyle().name().toLowerCase(), c.ropeDim() < c.headDim() ? ", " + c.ropeDim() + " of " + c.headDim() + " dims" : "",
                    c.ropeScaled() ? ", scaled" : "", c.normEps());
            out.printf("vocabulary:      %d, classifier %s%n", c.vocabSize(), m.model().weights().tiedClassifier() ? "tied to the embedding" : "separate");
            out.printf("tokenizer:       %s, BOS %d, EOS %d%n", m.tokenizer().describe(), m.tokenizer().bos(), m.tokenizer().eos());
            out.printf("chat template:   %s%n", m.chatTemplate() == null ? "none (lowbit chat picks a built-in one)"
                    : m.chatTemplate().length() + " characters, the model's own");
            NamedWeights named = NamedWeights.of(m.model().weights());
            long params = named.parameters(), bytes = named.bytes();
            out.printf("parameters:      %,d (%.2f MiB of weights, %.3f bits/parameter)%n", params, bytes / 1048576.0, 8.0 * bytes / params);
            if (m.quantization().present()) out.printf("quantization:    %s%n", m.quantization().describe());
            int context = ctx != null ? ctx : Math.min(4096, c.contextLength());
            long kv = 2L * c.nLayers() * context * c.kvDim() * 4;
            out.printf("memory to run:   %.2f MiB weights (mapped) + %.2f MiB KV cache at %d tokens%n", bytes / 1048576.0, kv / 1048576.0, context);
            out.printf("kernel:          %s%n", VersionProvider.kernelLine());
            if (tensors) {
                out.println();
                out.printf("%-24s %14s  %s%n", "tensor", "shape", "storage");
                named.matrices().forEach((name, w) -> out.printf("%-24s %14s  %s%n", name, w.rows() + "x" + w.cols(), LowbitFile.unwrap(w).typeName()));
                named.vectors().forEach((name, v) -> out.printf("%-24s %14s  %s%n", name, String.valueOf(v.length), "f32"));
            }
        }
        return 0;
    }
}
