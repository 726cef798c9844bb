package io.lumadb.timeseries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FieldMapTest {

    @SuppressWarnings("unchecked")
    private static Map.Entry<String, FieldValue>[] entries(List<Map.Entry<String, FieldValue>> list) {
        return list.toArray(new Map.Entry[0]);
    }

    @Test
    void behavesAsTheMapFilledInOrderWithTheSameEntries() {
        Seeded.run("field maps against hash maps", random -> {
            String[] keys = {"a", "b", "usage_user", "usage_system", "ü", "Aa", "BB"}; // "Aa" and "BB" share a hash
            for (int round = 0; round < 2000; round++) {
                List<Map.Entry<String, FieldValue>> list = new ArrayList<>();
                Map<String, FieldValue> expected = new LinkedHashMap<>();
                for (int i = random.nextInt(12); i > 0; i--) {
                    String k = keys[random.nextInt(keys.length)];
                    FieldValue v = new FieldValue.IntegerValue(random.nextInt(5));
                    list.add(random.nextBoolean() ? Map.entry(k, v) : new AbstractMap.SimpleEntry<>(k, v));
                    expected.put(k, v);
                }
                Map<String, FieldValue> actual = FieldMap.of(entries(list));
                assertEquals(expected, actual);
                assertEquals(actual, expected);
                assertEquals(Map.copyOf(expected), actual);
                assertEquals(expected.hashCode(), actual.hashCode());
                assertEquals(expected.size(), actual.size());
                assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
                for (String k : keys) {
                    assertEquals(expected.get(k), actual.get(new String(k.toCharArray())));
                    assertEquals(expected.containsKey(k), actual.containsKey(k));
                }
                assertNull(actual.get(null));
                assertFalse(actual.containsKey(7));
                Map<String, FieldValue> visited = new HashMap<>();
                actual.forEach(visited::put);
                assertEquals(expected, visited);
            }
        });
    }

    @Test
    void aMapOfAShapeAndBitsEqualsTheMapOfItsValues() {
        Seeded.run("field maps of shapes", random -> {
            String[] keys = {"a", "b", "usage_user", "ü", "Aa", "BB"};
            for (int round = 0; round < 500; round++) {
                List<String> names = new ArrayList<>(List.of(keys));
                java.util.Collections.shuffle(names, random);
                int n = 1 + random.nextInt(keys.length);
                String[] k = new String[n];
                FieldType[] t = new FieldType[n];
                long[] bits = new long[n];
                String[] strings = new String[n];
                Map<String, FieldValue> expected = new LinkedHashMap<>();
                for (int i = 0; i < n; i++) {
                    k[i] = names.get(i);
                    t[i] = FieldType.values()[random.nextInt(FieldType.values().length)];
                    long b = random.nextLong();
                    FieldValue v =
                            switch (t[i]) {
                                case FLOAT -> new FieldValue.FloatValue(Double.longBitsToDouble(b));
                                case INTEGER -> new FieldValue.IntegerValue(b);
                                case UNSIGNED -> new FieldValue.UnsignedValue(b);
                                case BOOLEAN -> new FieldValue.BooleanValue((b & 1) != 0);
                                case STRING -> new FieldValue.StringValue(Long.toString(b));
                            };
                    bits[i] = t[i] == FieldType.BOOLEAN ? b & 1 : t[i] == FieldType.STRING ? 0 : b;
                    strings[i] = t[i] == FieldType.STRING ? Long.toString(b) : null;
                    expected.put(k[i], v);
                }
                FieldMap actual = FieldMap.of(FieldMap.Shape.of(k, t), bits, strings);
                assertEquals(expected, actual);
                assertEquals(actual, expected);
                assertEquals(expected.hashCode(), actual.hashCode());
                assertEquals(List.copyOf(expected.keySet()), List.copyOf(actual.keySet()));
                assertEquals(List.copyOf(expected.values()), List.copyOf(actual.values()));
                assertEquals(expected, FieldMap.of(entries(List.copyOf(expected.entrySet()))));
                for (String key : keys) {
                    assertEquals(expected.get(key), actual.get(new String(key.toCharArray())));
                    assertEquals(expected.containsKey(key), actual.keySet().contains(key));
                }
            }
        });
        assertThrows(
                IllegalArgumentException.class,
                () -> FieldMap.Shape.of(new String[] {"a", "a"}, new FieldType[] {FieldType.FLOAT, FieldType.FLOAT}));
        assertThrows(
                NullPointerException.class,
                () -> FieldMap.of(
                        FieldMap.Shape.of(new String[] {"s"}, new FieldType[] {FieldType.STRING}), new long[1], null));
    }

    @Test
    void cannotBeChangedNorChangeWithTheEntriesItWasGiven() {
        AbstractMap.SimpleEntry<String, FieldValue> mutable =
                new AbstractMap.SimpleEntry<>("f", new FieldValue.FloatValue(1.5));
        Map<String, FieldValue> map =
                FieldMap.of(entries(List.of(mutable, Map.entry("g", new FieldValue.BooleanValue(true)))));
        mutable.setValue(new FieldValue.FloatValue(2.5));
        assertEquals(new FieldValue.FloatValue(1.5), map.get("f"));
        assertThrows(UnsupportedOperationException.class, () -> map.put("h", new FieldValue.IntegerValue(1)));
        assertThrows(UnsupportedOperationException.class, () -> map.remove("f"));
        assertThrows(UnsupportedOperationException.class, map::clear);
        assertThrows(
                UnsupportedOperationException.class,
                () -> map.entrySet().iterator().next().setValue(null));
        assertThrows(UnsupportedOperationException.class, () -> {
            var it = map.entrySet().iterator();
            it.next();
            it.remove();
        });
        assertEquals(2, map.size());
    }

    @Test
    void refusesNullsAsAnImmutableMapDoes() {
        assertThrows(
                NullPointerException.class,
                () -> FieldMap.of(entries(List.of(new AbstractMap.SimpleEntry<>(null, new FieldValue.FloatValue(1))))));
        assertThrows(
                NullPointerException.class,
                () -> FieldMap.of(entries(List.of(new AbstractMap.SimpleEntry<>("f", null)))));
    }

    @Test
    void aPointKeepsItAsItIsAndEqualsOneWithOtherMaps() {
        Map<String, FieldValue> fields = FieldMap.of(entries(List.of(Map.entry("f", new FieldValue.FloatValue(1.5)))));
        Point p = new Point("cpu", List.of(), fields, 1);
        assertSame(fields, p.fields());
        assertEquals(new Point("cpu", List.of(), Map.of("f", new FieldValue.FloatValue(1.5)), 1), p);
        assertEquals(
                new Point("cpu", List.of(), Map.of("f", new FieldValue.FloatValue(1.5)), 1).hashCode(), p.hashCode());
        assertThrows(
                IllegalArgumentException.class, () -> new Point("cpu", List.of(), FieldMap.of(entries(List.of())), 1));
        assertTrue(FieldMap.of(entries(List.of())).isEmpty());
    }
}
