package io.jkvm.runtime.vmm;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

class JsonTest {

    @Test
    void stringsAreEscapedPerRfc8259() {
        StringBuilder sb = new StringBuilder();
        Json.quote(sb, "a\"b\\c\nd\te\u0001f\u001fé/");
        assertEquals("\"a\\\"b\\\\c\\nd\\te\\u0001f\\u001fé/\"", sb.toString());
    }

    @Test
    void nestedValuesKeepMapOrder() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("z", 1L);
        m.put("a", List.of("x", true));
        m.put("n", null);
        m.put("d", 0.5);
        m.put("nan", Double.NaN);
        m.put("e", Map.of());
        assertEquals("""
                {
                  "z": 1,
                  "a": [
                    "x",
                    true
                  ],
                  "n": null,
                  "d": 0.5,
                  "nan": null,
                  "e": {}
                }
                """, Json.write(m));
    }
}
