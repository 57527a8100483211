package dev.lowbit.cli;

import static dev.lowbit.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.cli.CliTest.Run;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code lowbit chat} driven through standard input, on stories260K (built-in Llama 2 template). */
class ChatCliTest {

    static Run chat(String input, String... args) {
        InputStream saved = System.in;
        try {
            System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
            String[] all = new String[args.length + 1];
            all[0] = "chat";
            System.arraycopy(args, 0, all, 1, args.length);
            return run(all);
        } finally {
            System.setIn(saved);
        }
    }

    static int count(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        int n = 0;
        while (m.find()) n++;
        return n;
    }

    @Test
    void turnsResetAndEndOfInput() {
        Run r = chat("Hello there\nWhat did the dog do?\n/reset\nTell me a story\n", "--temperature", "0", "-n", "24", "--system", "Be kind.");
        assertEquals(0, r.exit(), r.err());
        assertEquals(3, count(r.err(), "\\[\\d+ tokens, [0-9.]+ tokens/s; prompt \\d+ new of \\d+ tokens"), r.err());
        assertTrue(r.err().contains("template: built-in Llama 2"), r.err());
        assertTrue(r.err().contains("(conversation cleared)"), r.err());
        // The second turn reuses the cached first one: fewer new prompt tokens than the whole prompt.
        Matcher m = Pattern.compile("prompt (\\d+) new of (\\d+) tokens").matcher(r.err());
        m.find();
        m.find();
        assertTrue(Integer.parseInt(m.group(1)) < Integer.parseInt(m.group(2)), r.err());
        assertEquals(5, count(r.out(), "> "), r.out()); // three turns, /reset, and the prompt that met the end of input
    }

    @Test
    void sameSeedSameReplies() {
        Run a = chat("Hi\nAnd then?\n", "--seed", "7", "-n", "20");
        Run b = chat("Hi\nAnd then?\n", "--seed", "7", "-n", "20");
        assertEquals(0, a.exit(), a.err());
        assertEquals(a.out(), b.out());
    }

    @Test
    void aFullContextDropsOldTurnsAndRefusesWhatCannotFit() {
        String longLine = "the little dog ran to the park and played with a big red ball ".repeat(3);
        Run r = chat(longLine + "\n" + longLine + "\n" + longLine + "\n" + "word ".repeat(200) + "\n/exit\n", "-c", "128", "-n", "16",
                "--temperature", "0");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.err().contains("(context full: dropped the oldest turn)"), r.err());
        assertTrue(r.err().contains("not sent"), r.err());
    }

    @Test
    void unknownTemplateIsOneLine() {
        Run r = chat("Hi\n", "--template", "vicuna");
        assertEquals(1, r.exit());
        assertEquals("lowbit: error: unknown built-in template 'vicuna' (chatml, llama3, llama2)\n", r.err().substring(r.err().indexOf("lowbit:")));
    }
}
