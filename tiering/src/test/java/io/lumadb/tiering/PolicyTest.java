package io.lumadb.tiering;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.DocumentJson;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Policies, pointers, the hot cache and the idle cutoff: the small pieces of the cold tier. */
class PolicyTest {

    private static JsonNode json(String s) throws Exception {
        return DocumentJson.mapper().readTree(s);
    }

    @Test
    void parsesAgesInShortAndIsoFormAndBothRules() throws Exception {
        assertEquals(new Policy(30L * 86_400_000, null, 0), Policy.parse(json("{\"idleFor\":\"30d\"}")));
        assertEquals(new Policy(1500, null, 0), Policy.parse(json("{\"idleFor\":\"1500ms\"}")));
        assertEquals(
                new Policy(0, "/ts", 90L * 86_400_000),
                Policy.parse(json("{\"timePath\":\"/ts\",\"olderThan\":\"P90D\"}")));
        Policy both = Policy.parse(json("{\"idleFor\":\"12h\",\"timePath\":\"/a/b\",\"olderThan\":\"15m\"}"));
        assertEquals(12L * 3_600_000, both.idleForMillis());
        assertEquals(900_000, both.olderThanMillis());
        assertEquals("PT12H", both.toJson().get("idleFor").asText());
        assertEquals(both, Policy.parse(both.toJson()));
    }

    @Test
    void refusesBadPoliciesNamingTheField() throws Exception {
        assertEquals("/policy/idleFor", pointer("{\"idleFor\":\"soon\"}"));
        assertEquals("/policy/idleFor", pointer("{\"idleFor\":30}"));
        assertEquals("/policy/idleFor", pointer("{\"idleFor\":\"0s\"}"));
        assertEquals("/policy/olderThan", pointer("{\"timePath\":\"/ts\",\"olderThan\":\"-1d\"}"));
        assertEquals("/policy/olderThan", pointer("{\"timePath\":\"/ts\"}"));
        assertEquals("/policy/timePath", pointer("{\"olderThan\":\"1d\"}"));
        assertEquals("/policy/timePath", pointer("{\"timePath\":\"ts\",\"olderThan\":\"1d\"}"));
        assertEquals("/policy/age", pointer("{\"age\":\"1d\"}"));
        assertEquals("/policy", pointer("{}"));
        assertEquals("/policy", pointer("[1]"));
        assertEquals("/policy/idleFor", pointer("{\"idleFor\":\"99999999999999999d\"}"));
    }

    private static String pointer(String body) throws Exception {
        return assertThrows(Policy.PolicyException.class, () -> Policy.parse(json(body)))
                .pointer();
    }

    @Test
    void pointersRoundTripAndRefuseOtherBytes() {
        ColdPointer p = new ColdPointer(UUID.randomUUID(), 123_456_789_012L, 4096);
        byte[] bytes = p.bytes();
        assertEquals(ColdPointer.BYTES, bytes.length);
        assertEquals(p, ColdPointer.of(bytes));
        assertThrows(IllegalArgumentException.class, () -> ColdPointer.of(new byte[3]));
        bytes[0] = 9;
        assertThrows(IllegalArgumentException.class, () -> ColdPointer.of(bytes));
        assertThrows(IllegalArgumentException.class, () -> new ColdPointer(UUID.randomUUID(), -1, 5));
    }

    @Test
    void theHotCacheKeepsTheMostRecentlyUsedWithinItsBytesAndKeysByVersion() {
        HotCache cache = new HotCache(10_000);
        for (int i = 0; i < 20; i++) {
            cache.put("s", "d" + i, 1, new byte[900]);
            cache.get("s", "d0", 1); // d0 stays recently used
        }
        assertTrue(cache.bytes() <= 10_000, "bytes " + cache.bytes());
        assertArrayEquals(new byte[900], cache.get("s", "d0", 1));
        assertNull(cache.get("s", "d1", 1));
        assertNull(cache.get("s", "d19", 2), "another version is another document");
        assertArrayEquals(new byte[900], cache.get("s", "d19", 1));
        HotCache none = new HotCache(0);
        none.put("s", "x", 1, new byte[1]);
        assertNull(none.get("s", "x", 1));
        assertEquals(0, none.documents());
    }

    @Test
    void theIdleCutoffIsTheNewestVersionSampledBeforeTheAge() {
        List<TieringCoordinator.Sample> samples = List.of(
                new TieringCoordinator.Sample(1_000, 10),
                new TieringCoordinator.Sample(2_000, 25),
                new TieringCoordinator.Sample(3_000, 40));
        assertEquals(-1, Migrations.cutoff(samples, 999));
        assertEquals(10, Migrations.cutoff(samples, 1_000));
        assertEquals(25, Migrations.cutoff(samples, 2_500));
        assertEquals(40, Migrations.cutoff(samples, 10_000));
        assertEquals(-1, Migrations.cutoff(List.of(), 10_000));
    }

    @Test
    void timeValuesAreInstantsOrEpochMillis() throws Exception {
        long cutoff = java.time.Instant.parse("2026-01-01T00:00:00Z").toEpochMilli();
        assertTrue(Sealer.olderThan(json("\"2025-12-31T23:59:59Z\""), cutoff));
        assertFalse(Sealer.olderThan(json("\"2026-01-01T00:00:00Z\""), cutoff));
        assertTrue(Sealer.olderThan(json(Long.toString(cutoff - 1)), cutoff));
        assertFalse(Sealer.olderThan(json("\"yesterday\""), cutoff));
        assertFalse(Sealer.olderThan(json("null"), cutoff));
        assertFalse(Sealer.olderThan(DocumentJson.mapper().missingNode(), cutoff));
    }
}
