package dev.lowbit.engine;

import dev.lowbit.engine.format.Llama2cCheckpoint;
import dev.lowbit.engine.format.LowbitFile;
import dev.lowbit.engine.format.MappedFile;
import dev.lowbit.engine.format.TokenizerFiles;
import dev.lowbit.engine.format.gguf.GgufFile;
import dev.lowbit.engine.format.gguf.GgufModel;
import dev.lowbit.engine.format.hf.HfModel;
import dev.lowbit.engine.model.LlamaConfig;
import dev.lowbit.engine.model.LlamaModel;
import dev.lowbit.engine.model.SyntheticWeights;
import dev.lowbit.engine.tokenizer.Llama2cTokenizerFile;
import dev.lowbit.engine.tokenizer.Tokenizer;
import dev.lowbit.kernels.WorkerPool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Opens a model file in whatever format it is, with its tokenizer. */
public final class ModelLoader {
    private ModelLoader() {}

    /**
     * @param tokenizerPath explicit tokenizer, or null to find one next to the model
     * @param threads       worker threads for the kernels
     */
    public static LoadedModel load(Path modelPath, Path tokenizerPath, int threads) {
        return load(modelPath, tokenizerPath, threads, false);
    }

    /** @param verify check every tensor's checksum now instead of on first use ({@code .lowbit} files) */
    public static LoadedModel load(Path modelPath, Path tokenizerPath, int threads, boolean verify) {
        if (modelPath.toString().startsWith(SYNTHETIC)) return synthetic(modelPath.toString().substring(SYNTHETIC.length()), tokenizerPath, threads);
        if (Files.isDirectory(modelPath)) {
            HfModel hf = HfModel.read(modelPath, tokenizerPath == null);
            Tokenizer tokenizer = tokenizerPath != null ? TokenizerFiles.read(tokenizerPath) : hf.tokenizer();
            LlamaModel model = new LlamaModel(hf.config().config(), hf.weights(), new WorkerPool(threads));
            return new LoadedModel(model, tokenizer, "safetensors", java.util.Map.of(), hf.chatTemplate(), hf);
        }
        if (!Files.exists(modelPath)) throw new ModelFileException(modelPath, "file not found");
        MappedFile file = MappedFile.open(modelPath);
        try {
            if (LowbitFile.hasMagic(file)) {
                LowbitFile.Contents c = LowbitFile.read(file, verify);
                Tokenizer tokenizer = tokenizerPath != null ? TokenizerFiles.read(tokenizerPath) : c.tokenizer();
                LlamaModel model = new LlamaModel(c.config(), c.weights(), new WorkerPool(threads));
                return new LoadedModel(model, tokenizer, "lowbit", c.quantization(), c.chatTemplate(), file);
            }
            if (GgufFile.hasMagic(file)) {
                GgufFile gguf = GgufFile.read(file);
                GgufModel g = GgufModel.read(gguf);
                Tokenizer tokenizer = tokenizerPath != null ? TokenizerFiles.read(tokenizerPath) : g.tokenizer();
                LlamaModel model = new LlamaModel(g.config(), g.weights(), new WorkerPool(threads));
                return new LoadedModel(model, tokenizer, "gguf v" + gguf.version(), java.util.Map.of(), g.chatTemplate(), file);
            }
            rejectKnownOtherFormats(file);
            Llama2cCheckpoint.Header header = Llama2cCheckpoint.readHeader(file);
            var weights = Llama2cCheckpoint.readWeights(file, header);
            Path tokPath = tokenizerPath != null ? tokenizerPath : findLlama2cTokenizer(modelPath, header.config().vocabSize());
            Tokenizer tokenizer = TokenizerFiles.read(tokPath);
            if (tokenizer.vocabSize() != header.config().vocabSize()) {
                throw new ModelFileException(tokPath, "has " + tokenizer.vocabSize() + " tokens but the model "
                        + modelPath.getFileName() + " has a vocabulary of " + header.config().vocabSize());
            }
            LlamaModel model = new LlamaModel(header.config(), weights, new WorkerPool(threads));
            return new LoadedModel(model, tokenizer, "llama2.c", java.util.Map.of(), null, file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    /** Prefix of a model "path" that names a random-weight model of a known shape, e.g. {@code synthetic:llama-1b}. */
    public static final String SYNTHETIC = "synthetic:";

    private static LoadedModel synthetic(String name, Path tokenizerPath, int threads) {
        LlamaConfig config = SyntheticWeights.preset(name);
        Path tok = tokenizerPath;
        if (tok == null) {
            Path shared = SharedData.find();
            if (shared == null) throw new LowbitException("synthetic models need --tokenizer (a llama2.c tokenizer.bin with " + config.vocabSize() + " tokens)");
            tok = shared.resolve("models/llama2-tokenizer/tokenizer.bin");
        }
        Tokenizer tokenizer = Llama2cTokenizerFile.read(tok);
        if (tokenizer.vocabSize() != config.vocabSize()) {
            throw new ModelFileException(tok, "has " + tokenizer.vocabSize() + " tokens; synthetic:" + name + " needs " + config.vocabSize());
        }
        WorkerPool pool = new WorkerPool(threads);
        LlamaModel model = new LlamaModel(config, SyntheticWeights.random(config, 1, false, true, pool), pool);
        return new LoadedModel(model, tokenizer, "synthetic", java.util.Map.of(), null, () -> { });
    }

    private static void rejectKnownOtherFormats(MappedFile file) {
        if (file.size() < 4) return;
        byte[] magic = file.segment().asSlice(0, 4).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        String m = new String(magic, StandardCharsets.ISO_8859_1);
        if (file.size() >= 6 && new String(file.segment().asSlice(0, 6).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE),
                StandardCharsets.ISO_8859_1).equals("LOWBIT")) {
            throw file.error("not a valid .lowbit file (bad magic)");
        }
        if ((magic[0] & 0xFF) == 0x80 || m.startsWith("PK")) {
            throw file.error("looks like a PyTorch pickle/zip checkpoint; these are refused because unpickling can run code");
        }
    }

    /** llama2.c convention: {@code tokenizer.bin} beside the model, or {@code tok<vocab>.bin} for custom vocabularies. */
    static Path findLlama2cTokenizer(Path modelPath, int vocabSize) {
        Path dir = modelPath.toAbsolutePath().getParent();
        for (String name : new String[] {"tok" + vocabSize + ".bin", "tokenizer.bin"}) {
            Path candidate = dir.resolve(name);
            if (Files.isRegularFile(candidate)) return candidate;
        }
        throw new ModelFileException(modelPath, "no tokenizer found beside it (looked for tok" + vocabSize
                + ".bin and tokenizer.bin); pass --tokenizer FILE");
    }
}
