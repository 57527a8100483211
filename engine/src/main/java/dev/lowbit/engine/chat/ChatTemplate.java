package dev.lowbit.engine.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.lowbit.engine.LowbitException;
import dev.lowbit.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model's Jinja chat template, rendered by jinjava the way Hugging Face renders it: {@code trim_blocks} and
 * {@code lstrip_blocks} on, {@code raise_exception} and {@code strftime_now} available, Python string methods
 * ({@code .strip()}, {@code .startswith(…)}, …) on values. A template jinjava cannot run fails with one line naming
 * the construct. Models without a template get a built-in one ({@link #builtin}).
 */
public final class ChatTemplate {
    /** Python string methods templates call, rewritten to filters of the same meaning ({@code x.strip()} → {@code x|py_strip()}). */
    private static final Pattern METHOD = Pattern.compile("\\.(strip|lstrip|rstrip|startswith|endswith|split|upper|lower|title|capitalize)\\(");
    private static final Pattern SPLIT_INDEX = Pattern.compile("\\.split\\(('[^']*'|\"[^\"]*\")\\)\\[(0|-1)\\]");
    private static final Pattern REVERSED = Pattern.compile("([A-Za-z_][\\w.]*)\\[::-1\\]");
    private static final Pattern NAMESPACE = Pattern.compile("namespace\\(([^()]*)\\)");
    private static final Pattern NAMED_ARG = Pattern.compile("(\\w+)\\s*=\\s*([^,]+)");
    private static final Jinjava JINJAVA = newJinjava();

    private final String name;
    private final String source;
    private final String prepared;

    public ChatTemplate(String name, String source) {
        this.name = name;
        this.source = source;
        this.prepared = prepare(source);
    }

    public String name() {
        return name;
    }

    public String source() {
        return source;
    }

    /** The model's own template, or the built-in one its special tokens suggest (ChatML, Llama 3, else Llama 2). */
    public static ChatTemplate forModel(String template, Tokenizer tokenizer) {
        if (template != null && !template.isBlank()) return new ChatTemplate("the model's", template);
        String vocab = tokenizer.vocabSize() > 0 ? tokenText(tokenizer) : "";
        if (vocab.contains("<|im_start|>")) return builtin("chatml");
        if (vocab.contains("<|start_header_id|>")) return builtin("llama3");
        return builtin("llama2");
    }

    private static String tokenText(Tokenizer t) {
        StringBuilder sb = new StringBuilder();
        for (int i = Math.max(0, t.vocabSize() - 512); i < t.vocabSize(); i++) sb.append(t.tokenText(i)).append('\n');
        return sb.toString();
    }

    public static ChatTemplate builtin(String which) {
        return switch (which) {
            case "chatml" -> new ChatTemplate("built-in ChatML",
                    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}"
                            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}");
            case "llama3" -> new ChatTemplate("built-in Llama 3",
                    "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'"
                            + " + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
                            + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}");
            case "llama2" -> new ChatTemplate("built-in Llama 2",
                    "{% if messages[0]['role'] == 'system' %}{% set system = '<<SYS>>\\n' + messages[0]['content'] + '\\n<</SYS>>\\n\\n' %}"
                            + "{% set loop_messages = messages[1:] %}{% else %}{% set system = '' %}{% set loop_messages = messages %}{% endif %}"
                            + "{% for message in loop_messages %}{% if message['role'] == 'user' %}"
                            + "{{ bos_token + '[INST] ' + (system if loop.first else '') + message['content'] | trim + ' [/INST]' }}"
                            + "{% elif message['role'] == 'assistant' %}{{ ' ' + message['content'] | trim + ' ' + eos_token }}{% endif %}{% endfor %}");
            default -> throw new IllegalArgumentException("unknown built-in template '" + which + "' (chatml, llama3, llama2)");
        };
    }

    /** The prompt text for {@code messages}; with {@code addGenerationPrompt}, ready for the assistant's reply. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, String bosToken, String eosToken) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> map = new LinkedHashMap<>();
            map.put("role", m.role());
            map.put("content", m.content());
            list.add(map);
        }
        Map<String, Object> context = new HashMap<>();
        context.put("messages", list);
        context.put("add_generation_prompt", addGenerationPrompt);
        context.put("bos_token", bosToken);
        context.put("eos_token", eosToken);
        context.put("strftime_now", true); // so that "strftime_now is defined" holds, as in Hugging Face's environment
        RenderResult result;
        DEADLINE.set(System.nanoTime() + MAX_RENDER_NANOS);
        try {
            result = JINJAVA.renderForResult(prepared, context);
        } catch (RuntimeException e) {
            for (Throwable t = e; t != null; t = t.getCause()) if (t instanceof TooSlow slow) throw bounded(slow.getMessage());
            throw failure(e.getMessage());
        } finally {
            DEADLINE.remove();
        }
        for (TemplateError e : result.getErrors()) {
            for (Throwable t = e.getException(); t != null; t = t.getCause()) {
                if (t instanceof TemplateFunctions.TemplateRaised raised) {
                    throw new LowbitException("chat template (" + name + ") refuses this conversation: " + raised.getMessage());
                }
                if (t instanceof TooSlow slow) throw bounded(slow.getMessage());
            }
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) throw failure(e.getMessage());
        }
        return result.getOutput();
    }

    private LowbitException bounded(String why) {
        return new LowbitException("chat template (" + name + ") stopped: " + why.replace('\n', ' '));
    }

    /** Names the construct; no line number, since whitespace control has joined lines by then. A bound it hit is said as such. */
    private LowbitException failure(String message) {
        String m = String.valueOf(message).replace('\n', ' ');
        if (m.contains("OutputTooBigException") || m.contains("templates cannot read files")) return bounded(m);
        return new LowbitException("chat template (" + name + ") uses a construct lowbit's Jinja engine does not support: " + m);
    }

    /**
     * Applies Jinja's whitespace control ({@code {%-}, {@code -%}} and the same for {@code {{ }} and comments), which
     * jinjava does not do for every tag kind, and rewrites Python string methods to filters.
     */
    static String prepare(String template) {
        String s = template.replaceAll("\\s*(\\{[{%#])-", "$1").replaceAll("-([}%#]\\})\\s*", "$1");
        // Reasoning templates keep one side of "</think>": x.split('…')[0] / [-1]. jinjava cannot subscript a filter's result.
        s = SPLIT_INDEX.matcher(s).replaceAll(r -> "|py_split_" + (r.group(2).equals("0") ? "first" : "last") + "(" + Matcher.quoteReplacement(r.group(1)) + ")");
        s = REVERSED.matcher(s).replaceAll("($1|reverse)");
        s = METHOD.matcher(s).replaceAll(r -> "|py_" + r.group(1) + "(");
        // jinjava binds "name=a|length - 1" as (name=a|length) - 1: parenthesize namespace() argument values.
        return NAMESPACE.matcher(s).replaceAll(r -> "namespace(" + Matcher.quoteReplacement(
                NAMED_ARG.matcher(r.group(1)).replaceAll(a -> Matcher.quoteReplacement(a.group(1) + "=(" + a.group(2).strip() + ")"))) + ")");
    }

    /**
     * Bounds on a template, which is code from the model file's author: its output and any string it builds (a prompt
     * is at most a context of text), list and map sizes, ranges, nesting, macro recursion, and time. No file can be
     * included or imported.
     */
    static final long MAX_OUTPUT = 4 << 20, MAX_STRING = 4 << 20;
    static final int MAX_COLLECTION = 100_000, MAX_DEPTH = 32;
    static final long MAX_RENDER_NANOS = 2_000_000_000L;
    private static final ThreadLocal<Long> DEADLINE = new ThreadLocal<>();

    /** A render stopped at its time bound. */
    static final class TooSlow extends RuntimeException {
        TooSlow() {
            super("rendering took longer than " + MAX_RENDER_NANOS / 1_000_000_000 + " s", null, false, false);
        }
    }

    private static Jinjava newJinjava() {
        Jinjava j = new Jinjava(JinjavaConfig.newBuilder().withTrimBlocks(true).withLstripBlocks(true)
                .withMaxOutputSize(MAX_OUTPUT).withMaxStringLength(MAX_STRING).withMaxListSize(MAX_COLLECTION).withMaxMapSize(MAX_COLLECTION)
                .withRangeLimit(MAX_COLLECTION).withMaxRenderDepth(MAX_DEPTH).withEnableRecursiveMacroCalls(true).withMaxMacroRecursionDepth(MAX_DEPTH)
                .withNodePreProcessor((node, interpreter) -> {
                    Long deadline = DEADLINE.get();
                    if (deadline != null && System.nanoTime() > deadline) throw new TooSlow();
                })
                .build());
        j.setResourceLocator((path, encoding, interpreter) -> {
            throw new com.hubspot.jinjava.loader.ResourceNotFoundException("templates cannot read files (" + path + ")");
        });
        try {
            j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                    TemplateFunctions.class.getMethod("raiseException", String.class)));
            j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                    TemplateFunctions.class.getMethod("strftimeNow", String.class)));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        pyFilter(j, "strip", (s, a) -> a.length == 0 ? s.strip() : rstrip(lstrip(s, a[0]), a[0]));
        pyFilter(j, "lstrip", (s, a) -> a.length == 0 ? s.stripLeading() : lstrip(s, a[0]));
        pyFilter(j, "rstrip", (s, a) -> a.length == 0 ? s.stripTrailing() : rstrip(s, a[0]));
        pyFilter(j, "startswith", (s, a) -> s.startsWith(a[0]));
        pyFilter(j, "endswith", (s, a) -> s.endsWith(a[0]));
        pyFilter(j, "split", (s, a) -> a.length == 0 ? List.of(s.strip().split("\\s+")) : List.of(s.split(Pattern.quote(a[0]), -1)));
        pyFilter(j, "split_first", (s, a) -> s.split(Pattern.quote(a[0]), -1)[0]);
        pyFilter(j, "split_last", (s, a) -> {
            String[] parts = s.split(Pattern.quote(a[0]), -1);
            return parts[parts.length - 1];
        });
        pyFilter(j, "upper", (s, a) -> s.toUpperCase());
        pyFilter(j, "lower", (s, a) -> s.toLowerCase());
        pyFilter(j, "title", (s, a) -> titleCase(s));
        pyFilter(j, "capitalize", (s, a) -> s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1).toLowerCase());
        return j;
    }

    private static void pyFilter(Jinjava j, String method, BiFunction<String, String[], Object> f) {
        j.getGlobalContext().registerFilter(new Filter() {
            @Override
            public String getName() {
                return "py_" + method;
            }

            @Override
            public Object filter(Object value, JinjavaInterpreter interpreter, String... args) {
                return f.apply(value == null ? "" : value.toString(), args);
            }
        });
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) i++;
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0 && chars.indexOf(s.charAt(i - 1)) >= 0) i--;
        return s.substring(0, i);
    }

    private static String titleCase(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean start = true;
        for (char c : s.toCharArray()) {
            sb.append(start ? Character.toUpperCase(c) : Character.toLowerCase(c));
            start = !Character.isLetter(c);
        }
        return sb.toString();
    }
}
