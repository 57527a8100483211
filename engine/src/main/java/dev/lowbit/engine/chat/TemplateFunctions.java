package dev.lowbit.engine.chat;

import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** Functions Hugging Face's chat-template environment provides, exposed to jinjava. */
public final class TemplateFunctions {
    private TemplateFunctions() {}

    /** Thrown by a template's {@code raise_exception(message)}. */
    public static final class TemplateRaised extends RuntimeException {
        TemplateRaised(String message) {
            super(message);
        }
    }

    public static Object raiseException(String message) {
        throw new TemplateRaised(message);
    }

    /** Python's {@code strftime} on today's date, for the codes templates use. */
    public static String strftimeNow(String format) {
        LocalDate today = LocalDate.now();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                sb.append(c);
                continue;
            }
            char code = format.charAt(++i);
            String pattern = switch (code) {
                case 'd' -> "dd";
                case 'b' -> "MMM";
                case 'B' -> "MMMM";
                case 'm' -> "MM";
                case 'Y' -> "yyyy";
                case 'y' -> "yy";
                case 'a' -> "EEE";
                case 'A' -> "EEEE";
                case 'j' -> "DDD";
                default -> null;
            };
            if (pattern == null) sb.append(code == '%' ? "%" : "%" + code);
            else sb.append(today.format(DateTimeFormatter.ofPattern(pattern, Locale.ENGLISH)));
        }
        return sb.toString();
    }
}
