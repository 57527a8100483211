package dev.lowbit.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads values from ../shared/models/stories260K/golden_reference.json (an independent implementation's output). */
public final class Golden {
    public static final Path MODEL = SharedData.require("models/stories260K/stories260K.bin");
    public static final Path TOKENIZER = SharedData.require("models/stories260K/tok512.bin");
    private static final String JSON = read(SharedData.require("models/stories260K/golden_reference.json"));

    private Golden() {}

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The int array stored under {@code "key": [...]} (first occurrence after {@code section}). */
    public static int[] ints(String section, String key) {
        int from = JSON.indexOf("\"" + section + "\"");
        if (from < 0) throw new IllegalStateException("no section " + section);
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*\\[([^\\]]*)\\]").matcher(JSON);
        if (!m.find(from)) throw new IllegalStateException("no key " + key);
        String[] parts = m.group(1).trim().split("\\s*,\\s*");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) out[i] = Integer.parseInt(parts[i]);
        return out;
    }

    static double number(String section, String key) {
        int from = JSON.indexOf("\"" + section + "\"");
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*([-0-9.eE+]+)").matcher(JSON);
        if (from < 0 || !m.find(from)) throw new IllegalStateException("no " + section + "." + key);
        return Double.parseDouble(m.group(1));
    }

    static String string(String section, String key) {
        int from = JSON.indexOf("\"" + section + "\"");
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\"\\s*:\\s*\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(JSON);
        if (from < 0 || !m.find(from)) throw new IllegalStateException("no " + section + "." + key);
        return m.group(1).replace("\\n", "\n").replace("\\\"", "\"").replace("\\\\", "\\");
    }
}
