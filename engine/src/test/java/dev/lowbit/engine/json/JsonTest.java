package dev.lowbit.engine.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void parsesEveryKindOfValue() {
        Object v = Json.parse(" {\"a\": [1, -2.5e3, true, false, null], \"b\": {\"c\": \"x\\n\\u00e9\\\"\"}, \"n\": 12345678901234} ");
        Map<?, ?> m = (Map<?, ?>) v;
        assertEquals(List.of(1L, -2500.0, true, false), ((List<?>) m.get("a")).subList(0, 4));
        assertEquals("x\né\"", ((Map<?, ?>) m.get("b")).get("c"));
        assertEquals(12345678901234L, m.get("n"));
    }

    @Test
    void rejectsMalformedInputWithAnOffset() {
        for (String bad : new String[] {"", "{", "[1,]", "{\"a\" 1}", "{\"a\":1,\"a\":2}", "\"abc", "tru", "01x", "[1] 2", "\"\\q\""}) {
            JsonException e = assertThrows(JsonException.class, () -> Json.parse(bad), bad);
            assertTrue(e.getMessage().contains("at offset"), e.getMessage());
        }
        assertThrows(JsonException.class, () -> Json.parse("[".repeat(100) + "]".repeat(100)), "depth bound");
        JsonException longNumber = assertThrows(JsonException.class, () -> Json.parse("[" + "9".repeat(5000) + "]"), "number length bound");
        assertTrue(!longNumber.getMessage().contains("\n"), longNumber.getMessage());
        assertEquals(1e20, ((List<?>) Json.parse("[100000000000000000000]")).getFirst(), "integers beyond a long read as doubles");
    }

    @Test
    void writtenFloatsReadBackExactly() {
        SplittableRandom r = new SplittableRandom(1);
        float[] values = new float[100_000];
        for (int i = 0; i < values.length; i++) values[i] = Float.intBitsToFloat(r.nextInt()) ;
        for (int i = 0; i < values.length; i++) if (!Float.isFinite(values[i])) values[i] = i;
        JsonObject o = JsonObject.of(Json.parse(Json.write(Map.of("v", values))), "x");
        float[] back = o.floats("v");
        for (int i = 0; i < values.length; i++) assertEquals(Float.floatToIntBits(values[i]), Float.floatToIntBits(back[i]), "value " + values[i]);
    }

    @Test
    void typedAccessNamesTheKey() {
        JsonObject o = JsonObject.of(Json.parse("{\"n\": 5, \"s\": \"x\"}"), "header");
        assertEquals("header.n = 5 is outside 6..9", assertThrows(JsonException.class, () -> o.integer("n", 6, 9)).getMessage());
        assertEquals("header.s is not an integer", assertThrows(JsonException.class, () -> o.integer("s", 0, 9)).getMessage());
        assertEquals("header.m is missing", assertThrows(JsonException.class, () -> o.string("m")).getMessage());
    }
}
