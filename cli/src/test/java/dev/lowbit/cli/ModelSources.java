package dev.lowbit.cli;

import dev.lowbit.engine.SharedData;
import dev.lowbit.engine.format.gguf.GgufSources;
import dev.lowbit.engine.format.hf.HfFolderWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The models the property tests run every command on: the real stories260K as llama2.c, as GGUF with its matrices in
 * F32, F16, Q8_0 and Q4_0, as a bf16 Hugging Face folder and as an int4 {@code .lowbit}, and a random-weight Q4_K GGUF
 * ({@link GgufSources}), written once into a folder the test owns.
 */
record ModelSources(List<Source> all) {

    /** One model file or folder, and the tokenizer to name when the model holds none. */
    record Source(String name, Path path, Path tokenizer) {
        /** {@code -m PATH}, and {@code --tokenizer FILE} where needed. */
        List<String> modelArgs() {
            List<String> args = new ArrayList<>(List.of("-m"));
            args.addAll(positionalArgs());
            return args;
        }

        /** The same for commands that take the model as their argument ({@code bench}, {@code inspect}). */
        List<String> positionalArgs() {
            return tokenizer == null ? List.of(path.toString()) : List.of(path.toString(), "--tokenizer", tokenizer.toString());
        }
    }

    static ModelSources write(Path dir) throws IOException {
        Path bin = SharedData.require("models/stories260K/stories260K.bin");
        List<Source> all = new ArrayList<>(List.of(new Source("llama2.c", bin, null)));
        for (String type : List.of("F32", "F16", "Q8_0", "Q4_0")) {
            all.add(new Source("gguf " + type, Files.write(dir.resolve("stories-" + type + ".gguf"), GgufSources.stories(type)), null));
        }
        all.add(new Source("gguf Q4_K", Files.write(dir.resolve("random-Q4_K.gguf"), GgufSources.q4K()), null));
        Path hf = dir.resolve("stories-hf");
        HfFolderWriter.write(hf, HfFolderWriter.stories(), true, 1); // bf16 safetensors, no tokenizer.json
        all.add(new Source("hf bf16", hf, SharedData.require("models/stories260K/tok512.bin")));
        Path lowbit = dir.resolve("stories-int4.lowbit");
        CliTest.Run q = CliTest.run("quantize", bin.toString(), lowbit.toString(), "--bits", "4", "-t", "1");
        if (q.exit() != 0) throw new IllegalStateException("quantize failed: " + q.err());
        all.add(new Source("lowbit int4", lowbit, null));
        return new ModelSources(List.copyOf(all));
    }
}
