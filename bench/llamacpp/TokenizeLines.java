import dev.lowbit.engine.format.MappedFile;
import dev.lowbit.engine.format.gguf.GgufFile;
import dev.lowbit.engine.format.gguf.GgufTokenizer;
import dev.lowbit.engine.tokenizer.Tokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * lowbit's token ids for every line of a text file, one line of ids per line of text, as llama_tok.c prints
 * llama.cpp's (no BOS, special-token text tokenized as text). For tokenize-compare.sh; run as a source file on
 * lowbit's class path.
 */
public class TokenizeLines {
    public static void main(String[] args) throws Exception {
        try (MappedFile f = MappedFile.open(Path.of(args[0]))) {
            Tokenizer t = GgufTokenizer.from(GgufFile.read(f));
            String text = Files.readString(Path.of(args[1]));
            String[] lines = text.split("\n", -1);
            int n = text.endsWith("\n") ? lines.length - 1 : lines.length;
            StringBuilder out = new StringBuilder();
            for (int i = 0; i < n; i++) {
                out.append(Arrays.stream(t.encode(lines[i], false, false)).mapToObj(Integer::toString).collect(Collectors.joining(" "))).append('\n');
            }
            System.out.print(out);
        }
    }
}
