package dev.lowbit.engine.tokenizer;

import dev.lowbit.engine.ModelFileException;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A tiktoken rank file ({@code <base64 bytes> <rank>} per line), as Meta ships Llama 3's {@code tokenizer.model}.
 * Llama 3's 256 special tokens follow the ranks, with the names Llama 3.1 gives them.
 */
public final class TiktokenFile {
    private TiktokenFile() {}

    public static Map<byte[], Integer> readRanks(Path path) {
        Map<byte[], Integer> ranks = new HashMap<>();
        // byte[] keys hash by identity: their contents (as Latin-1 strings) find repeated pieces, which jtokkit cannot take.
        java.util.Set<String> seen = new java.util.HashSet<>();
        try (BufferedReader in = Files.newBufferedReader(path, StandardCharsets.US_ASCII)) {
            String line;
            int lineNo = 0;
            while ((line = in.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) continue;
                int space = line.indexOf(' ');
                try {
                    if (space < 0) throw new IllegalArgumentException("no rank");
                    int rank = Integer.parseInt(line.substring(space + 1).trim());
                    if (rank != ranks.size()) throw new IllegalArgumentException("rank " + rank + " out of order (expected " + ranks.size() + ")");
                    byte[] piece = Base64.getDecoder().decode(line.substring(0, space));
                    if (piece.length == 0) throw new IllegalArgumentException("an empty piece");
                    if (!seen.add(new String(piece, StandardCharsets.ISO_8859_1))) throw new IllegalArgumentException("a piece ranked twice");
                    ranks.put(piece, rank);
                } catch (IllegalArgumentException e) {
                    throw new ModelFileException(path, "line " + lineNo + " is not '<base64> <rank>': " + e.getMessage());
                }
            }
        } catch (IOException e) {
            throw new ModelFileException(path, "cannot read: " + e.getMessage(), e);
        }
        for (int b = 0; b < 256; b++) { // every byte must have a rank, or some text could not be encoded at all
            if (!seen.contains(String.valueOf((char) b))) throw new ModelFileException(path, "has no rank for the byte 0x" + Integer.toHexString(b));
        }
        return ranks;
    }

    /** Llama 3's tokenizer: these ranks, its special tokens and its pre-tokenizer. */
    public static ByteLevelBpe llama3(Path path) {
        Map<byte[], Integer> ranks = readRanks(path);
        int base = ranks.size();
        Map<String, Integer> specials = new LinkedHashMap<>();
        String[] named = {"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>", "<|reserved_special_token_1|>",
                "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>", "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>",
                "<|eot_id|>", "<|python_tag|>"};
        for (int i = 0; i < named.length; i++) specials.put(named[i], base + i);
        for (int i = named.length; i < 256; i++) specials.put("<|reserved_special_token_" + (i - named.length + 3) + "|>", base + i);
        int bos = base, eos = base + 1, eom = base + 8, eot = base + 9;
        return ByteLevelBpe.fromRanks(path.getFileName().toString(), ranks, specials, PreTokenizer.named("llama3"), bos, eot,
                Set.of(eos, eom, eot));
    }
}
