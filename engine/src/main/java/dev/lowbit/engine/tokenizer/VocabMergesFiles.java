package dev.lowbit.engine.tokenizer;

import dev.lowbit.engine.ModelFileException;
import dev.lowbit.engine.json.JsonObject;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The GPT-2-style pair {@code vocab.json} (byte-level token → id) and {@code merges.txt} (one merge per line). */
public final class VocabMergesFiles {
    private VocabMergesFiles() {}

    public static ByteLevelBpe read(Path vocabJson, Path mergesTxt, PreTokenizer pre) {
        String[] tokens = tokens(vocabJson);
        List<String> merges = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(mergesTxt, StandardCharsets.UTF_8)) {
                if (line.startsWith("#version") || line.isEmpty()) continue;
                merges.add(line);
            }
        } catch (IOException e) {
            throw new ModelFileException(mergesTxt, "cannot read: " + e.getMessage(), e);
        }
        boolean[] none = new boolean[tokens.length];
        try {
            return ByteLevelBpe.fromMerges(vocabJson.getFileName().toString(), tokens, merges.toArray(String[]::new), none, none,
                    pre, -1, -1, Set.of());
        } catch (IllegalArgumentException e) {
            throw new ModelFileException(mergesTxt, e.getMessage());
        }
    }

    /** The vocabulary in id order; ids must be 0..n-1, each once. */
    static String[] tokens(Path vocabJson) {
        Map<String, Object> map = JsonObject.readFile(vocabJson).map();
        String[] tokens = new String[map.size()];
        for (Map.Entry<String, Object> e : map.entrySet()) {
            if (!(e.getValue() instanceof Number n) || n.longValue() < 0 || n.longValue() >= tokens.length || tokens[n.intValue()] != null) {
                throw new ModelFileException(vocabJson, "token '" + e.getKey() + "' has id " + e.getValue() + "; ids must be 0.." + (tokens.length - 1) + ", each once");
            }
            tokens[n.intValue()] = e.getKey();
        }
        return tokens;
    }
}
