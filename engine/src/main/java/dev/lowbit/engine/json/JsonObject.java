package dev.lowbit.engine.json;

import dev.lowbit.engine.ModelFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Typed, checked access to a parsed JSON object; every mismatch is a {@link JsonException} naming the key. */
public record JsonObject(Map<String, Object> map, String path) {

    @SuppressWarnings("unchecked")
    public static JsonObject of(Object value, String path) {
        if (!(value instanceof Map<?, ?> m)) throw new JsonException(path + " is not an object");
        return new JsonObject((Map<String, Object>) m, path);
    }

    /** A JSON file whose top level is an object; an unreadable or malformed file is one error naming it. */
    public static JsonObject readFile(Path p) {
        try {
            return of(Json.parse(Files.readString(p)), p.getFileName().toString());
        } catch (IOException e) {
            throw new ModelFileException(p, "cannot read: " + e.getMessage(), e);
        } catch (JsonException e) {
            throw new ModelFileException(p, "invalid JSON: " + e.getMessage());
        }
    }

    public boolean has(String key) {
        return map.containsKey(key) && map.get(key) != null;
    }

    private Object require(String key) {
        Object v = map.get(key);
        if (v == null) throw new JsonException(path + "." + key + " is missing");
        return v;
    }

    public String string(String key) {
        if (!(require(key) instanceof String s)) throw new JsonException(path + "." + key + " is not a string");
        return s;
    }

    public long integer(String key, long min, long max) {
        Object v = require(key);
        if (!(v instanceof Long l)) throw new JsonException(path + "." + key + " is not an integer");
        if (l < min || l > max) throw new JsonException(path + "." + key + " = " + l + " is outside " + min + ".." + max);
        return l;
    }

    public int integer(String key, int min, int max) {
        return (int) integer(key, (long) min, (long) max);
    }

    public double number(String key) {
        if (!(require(key) instanceof Number n)) throw new JsonException(path + "." + key + " is not a number");
        return n.doubleValue();
    }

    public boolean bool(String key) {
        if (!(require(key) instanceof Boolean b)) throw new JsonException(path + "." + key + " is not true/false");
        return b;
    }

    public JsonObject object(String key) {
        return of(require(key), path + "." + key);
    }

    @SuppressWarnings("unchecked")
    public List<Object> list(String key) {
        if (!(require(key) instanceof List<?> l)) throw new JsonException(path + "." + key + " is not a list");
        return (List<Object>) l;
    }

    public float[] floats(String key) {
        List<Object> l = list(key);
        float[] out = new float[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Number n)) throw new JsonException(path + "." + key + "[" + i + "] is not a number");
            out[i] = n.floatValue();
        }
        return out;
    }

    public double[] doubles(String key) {
        List<Object> l = list(key);
        double[] out = new double[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Number n)) throw new JsonException(path + "." + key + "[" + i + "] is not a number");
            out[i] = n.doubleValue();
        }
        return out;
    }

    public long[] longs(String key) {
        List<Object> l = list(key);
        long[] out = new long[l.size()];
        for (int i = 0; i < out.length; i++) {
            if (!(l.get(i) instanceof Long n)) throw new JsonException(path + "." + key + "[" + i + "] is not an integer");
            out[i] = n;
        }
        return out;
    }
}
