package dev.lowbit.engine.tokenizer;

import dev.lowbit.engine.ModelFileException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * llama2.c {@code tokenizer.bin}: int32 max_token_length, then per token float32 score, int32 length, bytes.
 * The token count is not stored: it is the number of records up to the end of the file. By llama2.c's
 * convention ids 0, 1, 2 are {@code <unk>}, BOS and EOS.
 */
public final class Llama2cTokenizerFile {
    private static final long MAX_FILE_BYTES = 64L << 20;

    private Llama2cTokenizerFile() {}

    public static SentencePieceBpe read(Path path) {
        byte[] data;
        try {
            if (Files.isDirectory(path)) throw new ModelFileException(path, "is a directory, expected a tokenizer.bin file");
            long size = Files.size(path);
            if (size > MAX_FILE_BYTES) throw new ModelFileException(path, "too large for a llama2.c tokenizer (" + size + " bytes)");
            data = Files.readAllBytes(path);
        } catch (NoSuchFileException e) {
            throw new ModelFileException(path, "file not found");
        } catch (IOException e) {
            throw new ModelFileException(path, "cannot read: " + e.getMessage(), e);
        }
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        if (in.remaining() < 4) throw new ModelFileException(path, "not a llama2.c tokenizer: file shorter than its 4-byte header");
        int maxLength = in.getInt();
        if (maxLength <= 0 || maxLength > 4096) {
            throw new ModelFileException(path, "not a llama2.c tokenizer: max_token_length = " + maxLength);
        }
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        while (in.hasRemaining()) {
            int id = pieces.size();
            if (in.remaining() < 8) throw new ModelFileException(path, "truncated in the record of token " + id);
            float score = in.getFloat();
            int len = in.getInt();
            if (len < 0 || len > maxLength) {
                throw new ModelFileException(path, "token " + id + " has length " + len + " (max_token_length is " + maxLength + ")");
            }
            if (in.remaining() < len) throw new ModelFileException(path, "truncated in the bytes of token " + id);
            if (!Float.isFinite(score)) throw new ModelFileException(path, "token " + id + " has a non-finite score");
            byte[] b = new byte[len];
            in.get(b);
            pieces.add(new String(b, StandardCharsets.UTF_8));
            scores.add(score);
        }
        if (pieces.size() < 3) throw new ModelFileException(path, "only " + pieces.size() + " tokens; expected <unk>, BOS, EOS and more");
        float[] s = new float[scores.size()];
        for (int i = 0; i < s.length; i++) s[i] = scores.get(i);
        boolean[] control = new boolean[s.length];
        control[0] = control[1] = control[2] = true;
        return new SentencePieceBpe(pieces.toArray(String[]::new), s, control, 1, 2, 0, " ");
    }
}
