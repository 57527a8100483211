package dev.lowbit.engine;

import dev.lowbit.engine.format.GgufCache;
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

/**
 * Opens a model in whatever format it is: each format gives a {@link ModelSource}, and one constructor turns any of
 * them into a runnable model with its tokenizer (a {@code --tokenizer} file in place of the model's own, when given).
 */
public final class ModelLoader {
    private ModelLoader() {}

    /**
     * @param tokenizerPath explicit tokenizer, or null to use the model's own (or, for llama2.c, the one beside it)
     * @param threads       worker threads for the kernels
     */
    public static LoadedModel load(Path modelPath, Path tokenizerPath, int threads) {
        return load(modelPath, tokenizerPath, threads, false);
    }

    /** @param verify check every tensor's checksum now instead of on first use ({@code .lowbit} files) */
    public static LoadedModel load(Path modelPath, Path tokenizerPath, int threads, boolean verify) {
        return load(modelPath, tokenizerPath, threads, verify, null);
    }

    /** @param ggufCache where GGUF files' repacked copies are kept and found ({@link GgufCache}), or null for none */
    public static LoadedModel load(Path modelPath, Path tokenizerPath, int threads, boolean verify, GgufCache ggufCache) {
        ModelSource source = open(modelPath, tokenizerPath, verify, ggufCache);
        try {
            Tokenizer tokenizer = tokenizerPath != null ? TokenizerFiles.read(tokenizerPath) : source.tokenizer();
            if (tokenizer == null) throw new ModelFileException(modelPath, "has no tokenizer; pass --tokenizer FILE");
            if (tokenizer.vocabSize() != source.config().vocabSize()) {
                String counts = " tokens but the model " + modelPath.getFileName() + " has a vocabulary of " + source.config().vocabSize();
                throw tokenizerPath != null ? new ModelFileException(tokenizerPath, "has " + tokenizer.vocabSize() + counts)
                        : new ModelFileException(modelPath, "its tokenizer has " + tokenizer.vocabSize() + counts);
            }
            LlamaModel model = new LlamaModel(source.config(), source.weights(), new WorkerPool(threads));
            return new LoadedModel(model, tokenizer, source.format(), source.quantization(), source.chatTemplate(), source.resources());
        } catch (RuntimeException e) {
            closeQuietly(source.resources());
            throw e;
        }
    }

    /** The model's contents, by format: a folder is Hugging Face's; a file is told by its magic bytes. */
    private static ModelSource open(Path modelPath, Path tokenizerPath, boolean verify, GgufCache ggufCache) {
        String path = modelPath.toString();
        if (path.startsWith(SYNTHETIC)) return synthetic(path.substring(SYNTHETIC.length()), tokenizerPath);
        if (Files.isDirectory(modelPath)) {
            HfModel hf = HfModel.read(modelPath, tokenizerPath == null);
            return new ModelSource("safetensors", hf.config().config(), hf.weights(), hf.tokenizer(), hf.chatTemplate(), QuantizationInfo.NONE, hf);
        }
        if (!Files.exists(modelPath)) throw new ModelFileException(modelPath, "file not found");
        MappedFile file = MappedFile.open(modelPath);
        try {
            if (LowbitFile.hasMagic(file)) {
                LowbitFile.Contents c = LowbitFile.read(file, verify);
                return new ModelSource("lowbit", c.config(), c.weights(), c.tokenizer(), c.chatTemplate(), c.quantization(), file);
            }
            if (GgufFile.hasMagic(file)) {
                Path cached = ggufCache == null ? null : ggufCache.find(modelPath);
                if (cached != null) {
                    try {
                        MappedFile copy = MappedFile.open(cached);
                        try {
                            // checked whole now: a copy damaged on disk is rebuilt here rather than failing at a later token
                            LowbitFile.Contents c = LowbitFile.read(copy, true);
                            file.close();
                            return new ModelSource("gguf, repacked copy " + cached, c.config(), c.weights(), c.tokenizer(), c.chatTemplate(),
                                    QuantizationInfo.NONE, copy);
                        } catch (RuntimeException e) {
                            copy.close();
                            throw e;
                        }
                    } catch (LowbitException e) {
                        ggufCache.forget(cached); // unreadable: rebuilt from the GGUF below
                    }
                }
                GgufFile gguf = GgufFile.read(file);
                GgufModel g = GgufModel.read(gguf);
                if (ggufCache != null) ggufCache.store(modelPath, g);
                return new ModelSource("gguf v" + gguf.version(), g.config(), g.weights(), g.tokenizer(), g.chatTemplate(), QuantizationInfo.NONE, file);
            }
            rejectKnownOtherFormats(file);
            Llama2cCheckpoint.Header header = Llama2cCheckpoint.readHeader(file);
            var weights = Llama2cCheckpoint.readWeights(file, header);
            // llama2.c keeps its tokenizer beside the model
            Tokenizer tokenizer = tokenizerPath != null ? null : TokenizerFiles.read(findLlama2cTokenizer(modelPath, header.config().vocabSize()));
            return new ModelSource("llama2.c", header.config(), weights, tokenizer, null, QuantizationInfo.NONE, file);
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // the load already failed; that error is the one to report
        }
    }

    /** Prefix of a model "path" that names a random-weight model of a known shape, e.g. {@code synthetic:llama-1b}. */
    public static final String SYNTHETIC = "synthetic:";

    /** Random weights of a named shape, with the Llama 2 tokenizer from ../shared unless one is given. */
    private static ModelSource synthetic(String name, Path tokenizerPath) {
        LlamaConfig config = SyntheticWeights.preset(name);
        Tokenizer tokenizer = null;
        if (tokenizerPath == null) {
            Path shared = SharedData.find();
            if (shared == null) throw new LowbitException("synthetic models need --tokenizer (a llama2.c tokenizer.bin with " + config.vocabSize() + " tokens)");
            tokenizer = Llama2cTokenizerFile.read(shared.resolve("models/llama2-tokenizer/tokenizer.bin"));
        }
        return new ModelSource("synthetic", config, SyntheticWeights.random(config, 1, false, true), tokenizer, null, QuantizationInfo.NONE, () -> { });
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
