package io.lumadb.timeseries.store.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.persistence.crypto.EnvelopeFormat;
import io.lumadb.persistence.crypto.Keyring;
import io.lumadb.persistence.crypto.ValueCipher;
import io.lumadb.timeseries.FieldValue;
import io.lumadb.timeseries.Point;
import io.lumadb.timeseries.store.DownsamplingRule;
import io.lumadb.timeseries.store.SeriesFilter;
import io.lumadb.timeseries.store.TimeSeriesCipher;
import io.lumadb.timeseries.store.TimeSeriesStoreException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Encryption at rest of a time-series store with the node's real cipher (AES-256-GCM envelopes):
 * the values that hold field values (sealed blocks, open chunks, rolled-up windows) are sealed and
 * read back as written, values stored in clear before stay readable, re-encryption seals them and
 * moves them to a new key, a value moved to another record fails authentication, and a clear value
 * that starts like a sealed one is escaped.
 */
class TimeSeriesEncryptionTest {

    private static final byte[] CLEAR = {0, 0, 0, 0, 0, 0, 0, 1, 0x10};
    private static final byte[] SEALED = {0, 0, 0, 0, 0, 0, 0, 2, 0x10};
    private static final String MARKER = "marker-5f0c1e";
    private static final List<DownsamplingRule> RULES =
            List.of(new DownsamplingRule(RocksTimeSeriesStoreTest.MIN, 0, DownsamplingRule.KEEPABLE));

    private TempRocks rocks;

    @BeforeEach
    void setUp() throws Exception {
        rocks = new TempRocks();
    }

    @AfterEach
    void tearDown() throws Exception {
        rocks.close();
    }

    /** The node's cipher for time series with keys {@code ids} (each key's bytes derived from its id), {@code active} sealing. */
    private static TimeSeriesCipher cipher(int active, int... ids) {
        TreeMap<Integer, byte[]> keys = new TreeMap<>();
        for (int id : ids) {
            byte[] key = new byte[Keyring.KEY_BYTES];
            Arrays.fill(key, (byte) (31 * id));
            keys.put(id, key);
        }
        ValueCipher cipher = ValueCipher.of(new Keyring(keys, active));
        return new TimeSeriesCipher() {
            @Override
            public boolean enabled() {
                return true;
            }

            @Override
            public byte[] seal(byte[] aad, byte[] plain) {
                return cipher.seal(EnvelopeFormat.Domain.TIME_SERIES, aad, plain, 0, plain.length);
            }

            @Override
            public byte[] open(byte[] aad, byte[] sealed) {
                return cipher.open(EnvelopeFormat.Domain.TIME_SERIES, aad, sealed);
            }

            @Override
            public boolean isCurrent(byte[] stored) {
                return cipher.isCurrent(stored, 0);
            }
        };
    }

    private RocksTimeSeriesStore open(byte[] prefix, TimeSeriesCipher cipher) {
        return RocksTimeSeriesStore.open(
                "db/cpu/1/0", rocks.db, rocks.state, prefix, RocksTimeSeriesStoreTest.SETTINGS, cipher, new Object());
    }

    /** Random batches of every field type, hours of them with late points, and a string field holding the marker. */
    private static List<List<Point>> batches() {
        List<List<Point>> batches = new ArrayList<>(RocksTimeSeriesStoreTest.randomBatches(new Random(11), 40, false));
        batches.add(List.of(RocksTimeSeriesStoreTest.point(
                "cpu",
                "h0",
                RocksTimeSeriesStoreTest.T0 + 5 * RocksTimeSeriesStoreTest.MIN,
                Map.of("note", new FieldValue.StringValue(MARKER)))));
        return batches;
    }

    private static void writeAll(RocksTimeSeriesStore store, List<List<Point>> batches, int firstSeq) {
        for (int i = 0; i < batches.size(); i++) {
            store.write(firstSeq + i, batches.get(i));
            store.downsample(firstSeq + i, batches.get(i), RULES);
        }
    }

    /** What a reader gets: every row and every rolled-up window. */
    private static String contents(RocksTimeSeriesStore store) {
        return store.scan(SeriesFilter.ALL, Long.MIN_VALUE, Long.MAX_VALUE) + "\n"
                + store.rollups(0, SeriesFilter.ALL, Long.MIN_VALUE, Long.MAX_VALUE);
    }

    private static boolean contains(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    /** Values of the data key spaces by space, and whether any value holds the marker. */
    private Map<Byte, Integer> dataValues(byte[] prefix, boolean[] markerSeen, List<byte[]> firstBytes) {
        Map<Byte, Integer> bySpace = new HashMap<>();
        byte[] needle = MARKER.getBytes(StandardCharsets.UTF_8);
        rocks.forEachUnder(prefix, (key, value) -> {
            byte space = key[prefix.length];
            if (space == TimeSeriesKeyFormat.SEALED
                    || space == TimeSeriesKeyFormat.OPEN
                    || space == TimeSeriesKeyFormat.ROLLUP) {
                bySpace.merge(space, 1, Integer::sum);
                firstBytes.add(value);
            }
            if (contains(value, needle)) {
                markerSeen[0] = true;
            }
        });
        return bySpace;
    }

    @Test
    void sealsTheValuesThatHoldFieldValuesAndReadsThemBackAsWritten() throws Exception {
        List<List<Point>> batches = batches();
        try (RocksTimeSeriesStore clear = open(CLEAR, TimeSeriesCipher.NONE);
                RocksTimeSeriesStore sealed = open(SEALED, cipher(1, 1))) {
            writeAll(clear, batches, 1);
            writeAll(sealed, batches, 1);
            assertEquals(contents(clear), contents(sealed), "open blocks");

            boolean[] markerInClear = {false};
            dataValues(CLEAR, markerInClear, new ArrayList<>());
            assertTrue(markerInClear[0], "the scan finds the marker in clear, so it can fail");

            boolean[] markerSealed = {false};
            List<byte[]> values = new ArrayList<>();
            Map<Byte, Integer> spaces = dataValues(SEALED, markerSealed, values);
            assertEquals(3, spaces.size(), "sealed blocks, open chunks and rolled-up windows: " + spaces);
            assertFalse(markerSealed[0], "the marker is in no stored value");
            values.forEach(v -> assertEquals((byte) TimeSeriesCipher.MARKER_BYTE, v[0]));

            clear.flush();
            sealed.flush();
            assertEquals(contents(clear), contents(sealed), "every block sealed");
        }
        // After a restart, and with a key it was not sealed under the reads fail, naming it.
        rocks.reopen();
        try (RocksTimeSeriesStore clear = open(CLEAR, TimeSeriesCipher.NONE);
                RocksTimeSeriesStore sealed = open(SEALED, cipher(1, 1))) {
            assertEquals(contents(clear), contents(sealed));
        }
        try (RocksTimeSeriesStore keyless = open(SEALED, TimeSeriesCipher.NONE)) {
            TimeSeriesStoreException e = assertThrows(TimeSeriesStoreException.class, () -> contents(keyless));
            assertTrue(e.getMessage().contains("lumadb.encryption.enabled is off"), e.getMessage());
        }
        try (RocksTimeSeriesStore otherKey = open(SEALED, cipher(2, 2))) {
            TimeSeriesStoreException e = assertThrows(TimeSeriesStoreException.class, () -> contents(otherKey));
            assertTrue(e.getMessage().contains("1"), e.getMessage());
        }
    }

    @Test
    void clearValuesStayReadableAndReencryptionSealsThemThenMovesThemToANewKey() throws Exception {
        List<List<Point>> batches = batches();
        List<List<Point>> first = batches.subList(0, 20);
        List<List<Point>> rest = batches.subList(20, batches.size());
        String expected;
        try (RocksTimeSeriesStore reference = open(CLEAR, TimeSeriesCipher.NONE)) {
            writeAll(reference, batches, 1);
            expected = contents(reference);
        }
        try (RocksTimeSeriesStore before = open(SEALED, TimeSeriesCipher.NONE)) {
            writeAll(before, first, 1);
        }
        // Encryption turned on: old values in clear, new ones sealed, all readable.
        try (RocksTimeSeriesStore on = open(SEALED, cipher(1, 1))) {
            writeAll(on, rest, 1 + first.size());
            assertEquals(expected, contents(on));
            List<byte[]> values = new ArrayList<>();
            dataValues(SEALED, new boolean[1], values);
            assertTrue(
                    values.stream().anyMatch(v -> v[0] != (byte) TimeSeriesCipher.MARKER_BYTE),
                    "some values are still in clear");

            Object lock = new Object();
            long sealedNow = SealedValues.reencrypt(
                    "db/cpu/1/0", rocks.db, rocks.state, SEALED, cipher(1, 1), lock, 7, n -> true);
            assertTrue(sealedNow > 0);
            assertEquals(expected, contents(on), "the open store reads the re-sealed values");
            assertEquals(
                    0,
                    SealedValues.reencrypt(
                            "db/cpu/1/0", rocks.db, rocks.state, SEALED, cipher(1, 1), lock, 7, n -> true),
                    "nothing is left to seal");
        }
        // Key 2 added and active: everything moves to it, and key 1 can go.
        long moved = SealedValues.reencrypt(
                "db/cpu/1/0", rocks.db, rocks.state, SEALED, cipher(2, 1, 2), new Object(), 5, n -> true);
        assertTrue(moved > 0);
        TimeSeriesCipher onlyTwo = cipher(2, 2);
        List<byte[]> values = new ArrayList<>();
        dataValues(SEALED, new boolean[1], values);
        values.forEach(v -> assertTrue(onlyTwo.isCurrent(v), "every value is under key 2"));
        try (RocksTimeSeriesStore rotated = open(SEALED, onlyTwo)) {
            assertEquals(expected, contents(rotated));
        }
    }

    @Test
    void aSealedValueMovedToAnotherRecordFailsAuthentication() throws Exception {
        try (RocksTimeSeriesStore sealed = open(SEALED, cipher(1, 1))) {
            writeAll(sealed, batches(), 1);
            sealed.flush();
            List<byte[][]> blocks = new ArrayList<>();
            rocks.forEachUnder(SEALED, (key, value) -> {
                if (key[SEALED.length] == TimeSeriesKeyFormat.SEALED) {
                    blocks.add(new byte[][] {key, value});
                }
            });
            assertTrue(blocks.size() >= 2, "blocks: " + blocks.size());
            rocks.db.put(rocks.state, blocks.get(0)[0], blocks.get(1)[1]);
            TimeSeriesStoreException e = assertThrows(TimeSeriesStoreException.class, () -> contents(sealed));
            assertTrue(e.getMessage().contains("cannot open the value"), e.getMessage());
        }
    }

    @Test
    void aClearValueThatStartsLikeASealedOneIsEscaped() throws Exception {
        // 236 fields: an open chunk and a rolled-up window start with the varint 236, bytes 0xEC 0x01.
        Map<String, FieldValue> fields = new HashMap<>();
        for (int i = 0; i < 236; i++) {
            fields.put("f" + i, new FieldValue.FloatValue(i));
        }
        List<List<Point>> batches = List.of(
                List.of(RocksTimeSeriesStoreTest.point("cpu", "h0", RocksTimeSeriesStoreTest.T0, fields)),
                List.of(RocksTimeSeriesStoreTest.point(
                        "cpu", "h0", RocksTimeSeriesStoreTest.T0 + 3 * RocksTimeSeriesStoreTest.HOUR, fields)));
        String expected;
        try (RocksTimeSeriesStore clear = open(CLEAR, TimeSeriesCipher.NONE)) {
            writeAll(clear, batches, 1);
            expected = contents(clear);
            List<byte[]> values = new ArrayList<>();
            Map<Byte, Integer> spaces = dataValues(CLEAR, new boolean[1], values);
            assertTrue(spaces.containsKey(TimeSeriesKeyFormat.OPEN), spaces.toString());
            assertTrue(spaces.containsKey(TimeSeriesKeyFormat.ROLLUP), spaces.toString());
            assertTrue(values.stream().anyMatch(v -> v[0] == (byte) TimeSeriesCipher.ESCAPE_BYTE), "stored escaped");
            values.forEach(v -> assertTrue(v[0] != (byte) TimeSeriesCipher.MARKER_BYTE, "no clear value looks sealed"));
        }
        // Read back in clear, and by a store that has keys; re-encryption seals them as they were.
        try (RocksTimeSeriesStore withKeys = open(CLEAR, cipher(1, 1))) {
            assertEquals(expected, contents(withKeys));
            SealedValues.reencrypt(
                    "db/cpu/1/0", rocks.db, rocks.state, CLEAR, cipher(1, 1), new Object(), 10, n -> true);
            assertEquals(expected, contents(withKeys));
        }
    }
}
