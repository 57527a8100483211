package dev.lowbit.cli;

import dev.lowbit.engine.LoadedModel;
import dev.lowbit.engine.LowbitException;
import dev.lowbit.engine.chat.ChatTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --template}, for the commands that chat (chat, serve). */
final class TemplateOption {
    @Option(names = "--template", paramLabel = "T", description = "Chat template: chatml, llama3, llama2 or a .jinja file (default: the model's own).")
    String template;

    /** The template the option names (a built-in one or a .jinja file), or null when it was not given. */
    ChatTemplate named() {
        if (template == null) return null;
        if (!template.endsWith(".jinja")) return ChatTemplate.builtin(template);
        Path file = Path.of(template);
        try {
            return new ChatTemplate(file.getFileName().toString(), Files.readString(file));
        } catch (IOException e) {
            throw new LowbitException(file + ": cannot read the chat template (" + (e instanceof NoSuchFileException ? "no such file" : e.getMessage()) + ")");
        }
    }

    /** The named template, else the model's own or the built-in one its vocabulary suggests. */
    ChatTemplate forModel(LoadedModel m) {
        ChatTemplate t = named();
        return t != null ? t : ChatTemplate.forModel(m.chatTemplate(), m.tokenizer());
    }
}
