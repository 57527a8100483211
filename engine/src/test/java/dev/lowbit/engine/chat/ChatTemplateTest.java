package dev.lowbit.engine.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lowbit.engine.LowbitException;
import dev.lowbit.engine.SharedData;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The real chat templates in ../shared/models/chat-templates. Expected strings are written by hand from each model
 * family's documented prompt format, not from lowbit's output.
 */
class ChatTemplateTest {
    static final List<ChatMessage> CONVERSATION = List.of(new ChatMessage("system", "You are helpful."),
            new ChatMessage("user", "Hi there"), new ChatMessage("assistant", "Hello! How can I help?"),
            new ChatMessage("user", "Tell me a joke."));

    static String render(String file, List<ChatMessage> messages, String bos, String eos) throws IOException {
        String source = Files.readString(SharedData.require("models/chat-templates/" + file));
        return new ChatTemplate(file, source).render(messages, true, bos, eos);
    }

    @Test
    void llama31And33() throws IOException {
        String expected = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\nYou are helpful.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello! How can I help?<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nTell me a joke.<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertEquals(expected, render("meta-llama-Llama-3.1-8B-Instruct.jinja", CONVERSATION, "<|begin_of_text|>", "<|eot_id|>"));
        assertEquals(expected, render("meta-llama-Llama-3.3-70B-Instruct.jinja", CONVERSATION, "<|begin_of_text|>", "<|eot_id|>"));
    }

    @Test
    void llama32UsesTodaysDate() throws IOException {
        String today = LocalDate.now().format(DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH));
        String expected = "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                + "Cutting Knowledge Date: December 2023\nToday Date: " + today + "\n\nYou are helpful.<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\nHello! How can I help?<|eot_id|>"
                + "<|start_header_id|>user<|end_header_id|>\n\nTell me a joke.<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n";
        assertEquals(expected, render("meta-llama-Llama-3.2-3B-Instruct.jinja", CONVERSATION, "<|begin_of_text|>", "<|eot_id|>"));
    }

    @Test
    void qwen25ChatMl() throws IOException {
        assertEquals("<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n"
                        + "<|im_start|>assistant\nHello! How can I help?<|im_end|>\n<|im_start|>user\nTell me a joke.<|im_end|>\n"
                        + "<|im_start|>assistant\n",
                render("Qwen-Qwen2.5-7B-Instruct.jinja", CONVERSATION, "", "<|im_end|>"));
        // Without a system message Qwen2.5 supplies its own.
        assertTrue(render("Qwen-Qwen2.5-7B-Instruct.jinja", CONVERSATION.subList(1, 4), "", "<|im_end|>")
                .startsWith("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"));
    }

    @Test
    void qwen3DropsEarlierReasoningAndQwqOpensIt() throws IOException {
        List<ChatMessage> withThinking = List.of(CONVERSATION.get(0), CONVERSATION.get(1),
                new ChatMessage("assistant", "<think>\nThe user greets me.\n</think>\n\nHello! How can I help?"), CONVERSATION.get(3));
        String chatMl = "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n"
                + "<|im_start|>assistant\nHello! How can I help?<|im_end|>\n<|im_start|>user\nTell me a joke.<|im_end|>\n<|im_start|>assistant\n";
        assertEquals(chatMl, render("Qwen-Qwen3-0.6B.jinja", withThinking, "", "<|im_end|>"));
        assertEquals(chatMl + "<think>\n", render("Qwen-QwQ-32B.jinja", withThinking, "", "<|im_end|>"));
    }

    @Test
    void phi35() throws IOException {
        assertEquals("<|system|>\nYou are helpful.<|end|>\n<|user|>\nHi there<|end|>\n<|assistant|>\nHello! How can I help?<|end|>\n"
                        + "<|user|>\nTell me a joke.<|end|>\n<|assistant|>\n",
                render("microsoft-Phi-3.5-mini-instruct.jinja", CONVERSATION, "<s>", "<|endoftext|>"));
    }

    @Test
    void gemma2RefusesSystemAndFormatsTurns() throws IOException {
        assertEquals("<bos><start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\nHello! How can I help?<end_of_turn>\n"
                        + "<start_of_turn>user\nTell me a joke.<end_of_turn>\n<start_of_turn>model\n",
                render("google-gemma-2-2b-it.jinja", CONVERSATION.subList(1, 4), "<bos>", "<eos>"));
        LowbitException e = assertThrows(LowbitException.class, () -> render("google-gemma-2-2b-it.jinja", CONVERSATION, "<bos>", "<eos>"));
        assertTrue(e.getMessage().contains("System role not supported"), e.getMessage());
    }

    @Test
    void mistralNemoPutsTheSystemMessageBeforeTheLastUserTurn() throws IOException {
        assertEquals("<s>[INST]Hi there[/INST]Hello! How can I help?</s>[INST]You are helpful.\n\nTell me a joke.[/INST]",
                render("mistralai-Mistral-Nemo-Instruct-2407.jinja", CONVERSATION, "<s>", "</s>"));
    }

    @Test
    void builtinTemplates() {
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                ChatTemplate.builtin("chatml").render(List.of(new ChatMessage("user", "Hi")), true, "", ""));
        assertEquals("<s>[INST] <<SYS>>\nBe brief.\n<</SYS>>\n\nHi [/INST] Hello </s><s>[INST] Bye [/INST]",
                ChatTemplate.builtin("llama2").render(List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", "Hi"),
                        new ChatMessage("assistant", "Hello"), new ChatMessage("user", "Bye")), true, "<s>", "</s>"));
        assertEquals("<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n",
                ChatTemplate.builtin("llama3").render(List.of(new ChatMessage("user", "Hi")), true, "<|begin_of_text|>", "<|eot_id|>"));
    }

    @Test
    void everyRealTemplateRendersOrNamesWhatItCannotDo() throws IOException {
        List<String> rendered = new ArrayList<>(), refused = new ArrayList<>();
        try (Stream<Path> files = Files.list(SharedData.require("models/chat-templates"))) {
            for (Path p : files.filter(f -> f.toString().endsWith(".jinja")).sorted().toList()) {
                String file = p.getFileName().toString();
                try {
                    String out = render(file, CONVERSATION, "<s>", "</s>");
                    assertTrue(out.contains("Hi there") && out.contains("Tell me a joke."), file + " lost a message:\n" + out);
                    rendered.add(file);
                } catch (LowbitException e) {
                    assertTrue(e.getMessage().startsWith("chat template (" + file + ")") && !e.getMessage().contains("\n"), e.getMessage());
                    refused.add(file + ": " + e.getMessage());
                }
            }
        }
        System.out.println(rendered.size() + " templates render; refused:\n  " + String.join("\n  ", refused));
        assertEquals(37, rendered.size() + refused.size());
        assertTrue(rendered.size() >= 33, rendered.size() + " render");
    }
}
