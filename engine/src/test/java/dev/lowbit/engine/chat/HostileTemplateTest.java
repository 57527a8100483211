package dev.lowbit.engine.chat;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.LowbitException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A model file's chat template is code from the file's author, run on the user's machine. Hostile ones end in one
 * line within the render bounds: no hang, no runaway memory, no files read, no Java objects reached.
 */
class HostileTemplateTest {
    private static final List<ChatMessage> HI = List.of(new ChatMessage("user", "hi"));

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "nested loops (10^10 steps)|{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}|",
        "silent nested loops (10^10 steps, no output)|{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}|",
        "exponential string|{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}|",
        "unbounded recursion|{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}|",
        "a huge range|{% for i in range(1000000000) %}{{ i }}{% endfor %}|",
        "reflection through a string|{{ ''.getClass().forName('java.lang.Runtime').getRuntime() }}|",
        "reflection through the messages|{{ messages.getClass().getClassLoader() }}|",
        "reading a file|{% include '/etc/passwd' %}|",
        "importing a file|{% import '/etc/hostname' as h %}{{ h }}|",
    })
    void endsInOneLine(String what, String template) {
        String out = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
            try {
                return new ChatTemplate("hostile", template).render(HI, true, "<s>", "</s>");
            } catch (LowbitException e) {
                assertFalse(e.getMessage().contains("\n"), e.getMessage());
                assertTrue(e.getMessage().startsWith("chat template (hostile)"), e.getMessage());
                System.out.printf("%s -> %s%n", what, e.getMessage());
                return null;
            }
        }, what);
        // Rendering anyway is allowed only when nothing leaked: no class, no file content, bounded output.
        if (out != null) {
            System.out.printf("%s -> rendered %d characters: %s%n", what, out.length(), out.substring(0, Math.min(80, out.length())));
            assertFalse(out.contains("java.lang") || out.contains("root:") || out.contains("ClassLoader"), what + " rendered: " + out);
            assertTrue(out.length() <= 1 << 20, what + " rendered " + out.length() + " characters");
        }
    }
}
