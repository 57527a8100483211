package dev.lowbit.engine.format;

import dev.lowbit.engine.ModelFileException;
import dev.lowbit.engine.format.hf.HfTokenizerJson;
import dev.lowbit.engine.json.JsonException;
import dev.lowbit.engine.json.JsonObject;
import dev.lowbit.engine.tokenizer.Llama2cTokenizerFile;
import dev.lowbit.engine.tokenizer.SentencePieceModelFile;
import dev.lowbit.engine.tokenizer.TiktokenFile;
import dev.lowbit.engine.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * Reads a tokenizer given on its own ({@code --tokenizer FILE}): a llama2.c {@code tokenizer.bin}, a SentencePiece
 * {@code tokenizer.model}, Llama 3's tiktoken {@code tokenizer.model}, or a Hugging Face {@code tokenizer.json}.
 */
public final class TokenizerFiles {
    private TokenizerFiles() {}

    public static Tokenizer read(Path path) {
        if (!Files.isRegularFile(path)) throw new ModelFileException(path, "tokenizer file not found");
        String name = path.getFileName().toString();
        if (name.endsWith(".json")) {
            JsonObject json = JsonObject.readFile(path);
            try {
                return HfTokenizerJson.parse(json, name, -1, -1, Set.of());
            } catch (JsonException e) {
                throw new ModelFileException(path, e.getMessage());
            }
        }
        if (name.endsWith(".model")) {
            return SentencePieceModelFile.looksLikeProtobuf(path) ? SentencePieceModelFile.read(path) : TiktokenFile.llama3(path);
        }
        return Llama2cTokenizerFile.read(path);
    }
}
