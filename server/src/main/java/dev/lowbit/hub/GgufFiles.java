package dev.lowbit.hub;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Picking files from a repository's listing: GGUF quantizations by name (split files whole) and glob patterns. */
final class GgufFiles {
    private static final Pattern SPLIT = Pattern.compile("-(\\d{5})-of-(\\d{5})\\.gguf$", Pattern.CASE_INSENSITIVE);

    private GgufFiles() {}

    /** Whether a GGUF path is of quantization {@code quant}: its name ends with it ({@code model-Q4_K_M.gguf}, not {@code …-Q4_K_M_L.gguf}). */
    static boolean matchesQuant(String path, String quant) {
        String stem = stem(path);
        if (stem == null) return false;
        String q = quant.toLowerCase(Locale.ROOT);
        return stem.endsWith(q) && (stem.length() == q.length() || !Character.isLetterOrDigit(stem.charAt(stem.length() - q.length() - 1)));
    }

    /** The quantizations a listing offers (the last part of each GGUF name), for an error that says what there is. */
    static List<String> quants(List<String> paths) {
        TreeSet<String> out = new TreeSet<>();
        for (String p : paths) {
            String stem = stem(p);
            if (stem != null) out.add(stem.substring(Math.max(stem.lastIndexOf('-'), stem.lastIndexOf('.')) + 1).toUpperCase(Locale.ROOT));
        }
        return new ArrayList<>(out);
    }

    /** A GGUF file's name without {@code .gguf} and a split suffix, lower case; null for other files. */
    private static String stem(String path) {
        String name = path.substring(path.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT);
        if (!name.endsWith(".gguf")) return null;
        Matcher split = SPLIT.matcher(name);
        return split.find() ? name.substring(0, split.start()) : name.substring(0, name.length() - 5);
    }

    /** A glob ({@code *}, {@code ?}) over the whole path, as {@code huggingface_hub}'s allow patterns. */
    static boolean matchesGlob(String path, String glob) {
        StringBuilder re = new StringBuilder();
        for (char c : glob.toCharArray()) {
            switch (c) {
                case '*' -> re.append(".*");
                case '?' -> re.append('.');
                default -> re.append(Pattern.quote(String.valueOf(c)));
            }
        }
        return path.matches(re.toString());
    }

    /** Whether a path is a GGUF file. */
    static boolean isGguf(String path) {
        return path.toLowerCase(Locale.ROOT).endsWith(".gguf");
    }
}
