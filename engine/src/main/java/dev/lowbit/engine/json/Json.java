package dev.lowbit.engine.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.module.SimpleModule;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON for headers, configs and tokenizer files, on Jackson. Values map to {@code Map<String, Object>}
 * (insertion-ordered), {@code List<Object>}, {@code String}, {@code Double} or {@code Long}, {@code Boolean}
 * and {@code null}. Input is untrusted: Jackson's stream limits bound nesting, number and string length, duplicate
 * keys and trailing text are refused, and any error is a one-line {@link JsonException} with the character offset.
 */
public final class Json {
    private static final int MAX_DEPTH = 64;
    /** Longest string value: a tokenizer's merge list is many short strings, a chat template one of up to a few 100 KB. */
    private static final int MAX_STRING = 64 << 20;

    private static final ObjectMapper MAPPER = mapper();

    private Json() {}

    private static ObjectMapper mapper() {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).maxNumberLength(400).maxStringLength(MAX_STRING).build())
                .enable(com.fasterxml.jackson.core.StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        // Floats in their shortest round-trip form (so levels and scores read back bit-exact); NaN and ∞ refused.
        SimpleModule finite = new SimpleModule()
                .addSerializer(Float.class, new JsonSerializer<>() {
                    @Override public void serialize(Float f, JsonGenerator g, SerializerProvider p) throws IOException { g.writeNumber(finite(f)); }
                })
                .addSerializer(Double.class, new JsonSerializer<>() {
                    @Override public void serialize(Double d, JsonGenerator g, SerializerProvider p) throws IOException { g.writeNumber(finite(d)); }
                })
                .addSerializer(float[].class, new JsonSerializer<>() {
                    @Override public void serialize(float[] a, JsonGenerator g, SerializerProvider p) throws IOException {
                        g.writeStartArray();
                        for (float f : a) g.writeNumber(finite(f));
                        g.writeEndArray();
                    }
                });
        return new ObjectMapper(factory).registerModule(finite)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }

    private static float finite(float f) {
        if (!Float.isFinite(f)) throw new IllegalArgumentException("JSON cannot hold " + f);
        return f;
    }

    private static double finite(double d) {
        if (!Double.isFinite(d)) throw new IllegalArgumentException("JSON cannot hold " + d);
        return d;
    }

    public static Object parse(String text) {
        try {
            if (text.isBlank()) throw new JsonException("no JSON value at offset 0");
            return normalize(MAPPER.readValue(text, Object.class));
        } catch (JsonProcessingException e) {
            long offset = e.getLocation() == null ? -1 : e.getLocation().getCharOffset();
            String message = e.getOriginalMessage().lines().findFirst().orElse("malformed JSON");
            throw new JsonException(message + " at offset " + offset);
        }
    }

    /** Integers as longs, and those too long for a long as doubles (JSON numbers are doubles). */
    private static Object normalize(Object v) {
        return switch (v) {
            case Integer i -> i.longValue();
            case BigInteger b -> b.doubleValue();
            case BigDecimal d -> d.doubleValue();
            case Map<?, ?> m -> {
                Map<String, Object> out = new LinkedHashMap<>();
                m.forEach((k, x) -> out.put((String) k, normalize(x)));
                yield out;
            }
            case List<?> l -> {
                List<Object> out = new ArrayList<>(l.size());
                for (Object x : l) out.add(normalize(x));
                yield out;
            }
            case null, default -> v;
        };
    }

    /** Compact JSON for maps, lists, strings, numbers, booleans, float arrays and null. */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            if (e.getCause() instanceof IllegalArgumentException iae) throw iae;
            throw new IllegalArgumentException("cannot write JSON: " + e.getOriginalMessage());
        }
    }
}
