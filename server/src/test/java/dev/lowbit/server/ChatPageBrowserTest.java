package dev.lowbit.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

/**
 * The chat page in a real browser: Debian's Chromium driven by playwright-core. A reply is seen growing while it
 * streams; a second one is stopped mid-stream; the screenshot lands in target/chat-page.png. A conversation that
 * outgrows the context drops its oldest turn.
 */
class ChatPageBrowserTest {
    @Test
    void aMessageStreamsItsReplyAndStopEndsTheNextOne() throws Exception {
        NodeScripts.require("chromium", "install Debian's chromium (apt-get install chromium); .ci/run does");
        Path shot = Path.of("target/chat-page.png").toAbsolutePath();
        Files.deleteIfExists(shot);
        try (TestServer s = new TestServer(2, 2, null)) {
            JsonNode out = TestServer.JSON.readTree(NodeScripts.node("chat-page.mjs", s.uri("/?seed=1").toString(), shot.toString(),
                    s.uri("/?seed=11").toString()));
            assertEquals("stories260K", out.path("model").asText());

            JsonNode lengths = out.path("growing");
            assertTrue(lengths.size() >= 2 && lengths.get(lengths.size() - 1).asInt() > lengths.get(0).asInt(),
                    "the reply grew while it streamed: " + lengths);
            assertTrue(out.path("firstReply").asText().length() > lengths.get(0).asInt());
            assertTrue(out.path("firstStats").asText().matches("\\d+ tokens, [0-9.]+ tokens/s"), out.path("firstStats").asText());

            assertTrue(out.path("stopEnabled").asBoolean());
            assertTrue(out.path("secondStats").asText().startsWith("stopped after"), out.path("secondStats").asText());
            assertTrue(out.path("sendEnabledAfterStop").asBoolean());
            assertEquals(2, out.path("userBubbles").asInt());

            // seed 11's first reply fills the 512-token context; the next message then makes the page drop that turn
            assertEquals("[\"(context full: dropped the oldest turn)\"]", out.path("overflowNote").toString());
            assertEquals(2, out.path("overflowReplies").asInt());
            assertEquals(0, out.path("overflowErrors").asInt());
        }
        BufferedImage image = ImageIO.read(shot.toFile());
        assertEquals(900, image.getWidth());
        assertTrue(image.getHeight() >= 700);
    }
}
