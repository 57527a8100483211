package dev.lowbit.server;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed, range-checked reads of a request body's fields; a wrong type or value is a 400 naming the field. Fields
 * the server does not know are ignored, as OpenAI's clients send many.
 */
final class RequestFields {
    private final JsonNode body;

    RequestFields(JsonNode body) {
        if (body == null || !body.isObject()) throw ApiException.badRequest("the request body must be a JSON object");
        this.body = body;
    }

    JsonNode node(String name) {
        JsonNode n = body.get(name);
        return n == null || n.isNull() ? null : n;
    }

    JsonNode required(String name) {
        JsonNode n = node(name);
        if (n == null) throw ApiException.badRequest("'" + name + "' is required");
        return n;
    }

    boolean bool(String name, boolean otherwise) {
        JsonNode n = node(name);
        if (n == null) return otherwise;
        if (!n.isBoolean()) throw ApiException.badRequest("'" + name + "' must be true or false");
        return n.booleanValue();
    }

    long integer(String name, long min, long max, long otherwise) {
        JsonNode n = node(name);
        if (n == null) return otherwise;
        if (!n.isIntegralNumber() || !n.canConvertToLong()) throw ApiException.badRequest("'" + name + "' must be an integer");
        long v = n.longValue();
        if (v < min || v > max) throw ApiException.badRequest("'" + name + "' must be in " + min + ".." + max + ", got " + v);
        return v;
    }

    float number(String name, float min, float max, float otherwise) {
        JsonNode n = node(name);
        if (n == null) return otherwise;
        if (!n.isNumber()) throw ApiException.badRequest("'" + name + "' must be a number");
        double v = n.doubleValue();
        if (!(v >= min && v <= max)) throw ApiException.badRequest("'" + name + "' must be in [" + min + ", " + max + "], got " + n.asText());
        return (float) v;
    }

    /** {@code stop}: a string or an array of up to 4 non-empty strings. */
    List<String> stops(String name) {
        JsonNode n = node(name);
        List<String> stops = new ArrayList<>();
        if (n == null) return stops;
        if (n.isTextual()) {
            stops.add(n.textValue());
        } else if (n.isArray() && n.size() <= 4) {
            for (JsonNode s : n) {
                if (!s.isTextual()) throw ApiException.badRequest("'" + name + "' must hold strings");
                stops.add(s.textValue());
            }
        } else {
            throw ApiException.badRequest("'" + name + "' must be a string or an array of up to 4 strings");
        }
        for (String s : stops) if (s.isEmpty() || s.length() > 256) throw ApiException.badRequest("a stop string must have 1 to 256 characters");
        return stops;
    }

    /** A list of token ids, each in {@code 0 .. vocab}. */
    int[] tokens(String name, int vocab, int maxCount) {
        JsonNode n = required(name);
        if (!n.isArray()) throw ApiException.badRequest("'" + name + "' must be an array of token ids");
        if (n.size() > maxCount) throw ApiException.badRequest("'" + name + "' holds " + n.size() + " tokens, at most " + maxCount + " are taken");
        int[] ids = new int[n.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode t = n.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.intValue() < 0 || t.intValue() >= vocab) {
                throw ApiException.badRequest("'" + name + "'[" + i + "] is not a token id (0.." + (vocab - 1) + ")");
            }
            ids[i] = t.intValue();
        }
        return ids;
    }
}
