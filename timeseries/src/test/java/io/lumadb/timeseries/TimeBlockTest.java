package io.lumadb.timeseries;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.timeseries.FieldValue.BooleanValue;
import io.lumadb.timeseries.FieldValue.FloatValue;
import io.lumadb.timeseries.FieldValue.IntegerValue;
import io.lumadb.timeseries.FieldValue.StringValue;
import io.lumadb.timeseries.FieldValue.UnsignedValue;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Time blocks: exact round trips, merging, header aggregates, compression and corruption checks. */
class TimeBlockTest {

    private static final long T0 = 1_700_000_000_000_000_000L;
    private static final long TEN_SECONDS = 10_000_000_000L;

    // ------------------------------------------------------------ bit stream

    @Test
    void bitStreamReadsBackWhatWasWritten() {
        Seeded.run("bit stream", rnd -> {
            BitWriter w = new BitWriter(1);
            List<long[]> ops = new ArrayList<>();
            for (int i = 0; i < 5000; i++) {
                int kind = rnd.nextInt(10);
                if (kind == 0) {
                    long v = rnd.nextBoolean() ? rnd.nextLong() : rnd.nextInt(300);
                    w.writeVarLong(v);
                    ops.add(new long[] {-1, v});
                } else {
                    int n = rnd.nextInt(65);
                    long v = rnd.nextLong();
                    w.writeBits(v, n);
                    ops.add(new long[] {n, n == 0 ? 0 : v & (-1L >>> (64 - n))});
                }
            }
            byte[] bytes = w.toByteArray();
            BitReader r = new BitReader(bytes, 0, bytes.length);
            for (long[] op : ops) {
                if (op[0] < 0) {
                    assertEquals(op[1], r.readVarLong());
                } else {
                    assertEquals(op[1], r.readBits((int) op[0]), "width " + op[0]);
                }
            }
            assertThrows(TimeBlockException.class, () -> r.readBits(9));
        });
    }

    // ------------------------------------------------------------ round trips

    private static final double[] SPECIAL_DOUBLES = {
        Double.NaN,
        Double.longBitsToDouble(0x7ff8_0000_0000_0001L), // a NaN with a payload
        Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY,
        -0.0,
        0.0,
        Double.MIN_VALUE,
        Double.MAX_VALUE,
        -Double.MAX_VALUE,
        0.1,
        1e-300
    };

    private static final long[] SPECIAL_LONGS = {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 1, Long.MIN_VALUE + 1};

    private static FieldValue randomValue(Random rnd, FieldType type, int style) {
        return switch (type) {
            case FLOAT ->
                new FloatValue(
                        switch (style) {
                            case 0 -> SPECIAL_DOUBLES[rnd.nextInt(SPECIAL_DOUBLES.length)];
                            case 1 -> Double.longBitsToDouble(rnd.nextLong());
                            case 2 -> Math.round(rnd.nextGaussian() * 1000) / 10.0;
                            default -> rnd.nextGaussian();
                        });
            case INTEGER ->
                new IntegerValue(
                        switch (style) {
                            case 0 -> SPECIAL_LONGS[rnd.nextInt(SPECIAL_LONGS.length)];
                            case 1 -> rnd.nextLong();
                            default -> rnd.nextInt(100) - 50;
                        });
            case UNSIGNED ->
                new UnsignedValue(
                        switch (style) {
                            case 0 -> SPECIAL_LONGS[rnd.nextInt(SPECIAL_LONGS.length)];
                            case 1 -> rnd.nextLong();
                            default -> rnd.nextInt(100);
                        });
            case BOOLEAN -> new BooleanValue(rnd.nextBoolean());
            case STRING ->
                new StringValue(
                        switch (rnd.nextInt(4)) {
                            case 0 -> "";
                            case 1 -> "host-" + rnd.nextInt(3);
                            case 2 -> "ünï\ud83c\udf6dcode-" + rnd.nextInt(1000);
                            default -> Long.toString(rnd.nextLong(), 36);
                        });
        };
    }

    /** The rows a block must hold: sorted by time, one per timestamp, fields merged, later winning. */
    private static List<TimeBlock.Row> bruteForce(List<Long> times, List<Map<String, FieldValue>> fields) {
        TreeMap<Long, Map<String, FieldValue>> m = new TreeMap<>();
        for (int i = 0; i < times.size(); i++) {
            m.computeIfAbsent(times.get(i), k -> new HashMap<>()).putAll(fields.get(i));
        }
        List<TimeBlock.Row> rows = new ArrayList<>();
        m.forEach((t, f) -> rows.add(new TimeBlock.Row(t, f)));
        return rows;
    }

    @Test
    void randomPointsRoundTripExactlyAfterSortingAndMerging() {
        Seeded.run("time block round trip", rnd -> {
            for (int round = 0; round < 60; round++) {
                int fieldCount = 1 + rnd.nextInt(6);
                Map<String, FieldType> types = new HashMap<>();
                Map<String, Integer> styles = new HashMap<>();
                for (int f = 0; f < fieldCount; f++) {
                    String name = "f" + f + (f % 2 == 0 ? "" : "\u00e9");
                    types.put(name, FieldType.values()[rnd.nextInt(FieldType.values().length)]);
                    styles.put(name, rnd.nextInt(4));
                }
                int n = 1 + rnd.nextInt(rnd.nextBoolean() ? 10 : 700);
                double presence = rnd.nextBoolean() ? 1.0 : 0.3 + rnd.nextDouble() * 0.7;
                int timeStyle = rnd.nextInt(4);
                boolean asFieldMaps = rnd.nextBoolean(); // as a decoded batch gives them
                List<Long> times = new ArrayList<>();
                List<Map<String, FieldValue>> fields = new ArrayList<>();
                TimeBlock.Builder b = TimeBlock.builder();
                long t = T0;
                for (int i = 0; i < n; i++) {
                    t = switch (timeStyle) {
                        case 0 -> t + TEN_SECONDS; // regular
                        case 1 -> t + TEN_SECONDS + rnd.nextInt(2_000_001) - 1_000_000; // jitter
                        case 2 -> T0 + rnd.nextInt(n) * 1_000L; // out of order, duplicates
                        default -> rnd.nextLong(); // anything, with wrapping deltas
                    };
                    Map<String, FieldValue> row = new HashMap<>();
                    for (Map.Entry<String, FieldType> f : types.entrySet()) {
                        if (rnd.nextDouble() < presence) {
                            row.put(f.getKey(), randomValue(rnd, f.getValue(), styles.get(f.getKey())));
                        }
                    }
                    if (row.isEmpty()) {
                        String any = types.keySet().iterator().next();
                        row.put(any, randomValue(rnd, types.get(any), 0));
                    }
                    if (asFieldMaps) {
                        @SuppressWarnings("unchecked")
                        Map.Entry<String, FieldValue>[] entries = row.entrySet().toArray(new Map.Entry[0]);
                        row = FieldMap.of(entries);
                    }
                    times.add(t);
                    fields.add(row);
                    b.add(t, row);
                }
                TimeBlock block = b.build();
                List<TimeBlock.Row> expected = bruteForce(times, fields);
                assertEquals(expected, block.rows());
                assertEquals(expected.size(), block.count());
                assertEquals(expected.get(0).time(), block.firstTime());
                assertEquals(expected.get(expected.size() - 1).time(), block.lastTime());
                TimeBlock reread = TimeBlock.read(block.toByteArray());
                assertEquals(expected, reread.rows());
                assertEquals(block.fields(), reread.fields());
                assertHeaderMatches(expected, block);
                assertEquals(expected, b.rows());
                assertEquals(expected, b.columns().rows());
                // The same points cut into pieces, built apart and added up, some sealed first.
                TimeBlock.Builder pieces = TimeBlock.builder();
                int at = 0;
                while (at < n) {
                    int end = Math.min(n, at + 1 + rnd.nextInt(1 + n / 3));
                    TimeBlock.Builder piece = TimeBlock.builder();
                    for (int i = at; i < end; i++) {
                        piece.add(times.get(i), fields.get(i));
                    }
                    if (rnd.nextInt(3) == 0) {
                        pieces.addAll(piece.build());
                    } else {
                        pieces.addAll(piece);
                    }
                    at = end;
                }
                assertEquals(expected, pieces.build().rows());
                // The points added from some point on, on their own.
                int from = rnd.nextInt(n);
                assertEquals(
                        bruteForce(times.subList(from, n), fields.subList(from, n)),
                        b.columns(from).rows(),
                        "points " + from + ".." + n);
            }
        });
    }

    /** Every header aggregate equals the one computed over the decoded rows. */
    private static void assertHeaderMatches(List<TimeBlock.Row> rows, TimeBlock block) {
        for (FieldSummary s : block.fields()) {
            List<FieldValue> values = new ArrayList<>();
            for (TimeBlock.Row r : rows) {
                if (r.fields().containsKey(s.name())) {
                    values.add(r.fields().get(s.name()));
                }
            }
            assertEquals(values.size(), s.count(), s.name());
            switch (s.type()) {
                case FLOAT -> {
                    double min = Double.NaN;
                    double max = Double.NaN;
                    double sum = 0;
                    for (FieldValue v : values) {
                        double d = ((FloatValue) v).value();
                        sum += d;
                        if (!Double.isNaN(d)) {
                            min = Double.isNaN(min) || d < min || (d == min && Double.doubleToRawLongBits(d) < 0)
                                    ? d
                                    : min;
                            max = Double.isNaN(max) || d > max || (d == max && Double.doubleToRawLongBits(d) >= 0)
                                    ? d
                                    : max;
                        }
                    }
                    assertEquals(new FloatValue(min), s.min(), s.name());
                    assertEquals(new FloatValue(max), s.max(), s.name());
                    // Any NaN will do: arithmetic does not keep NaN payloads stable.
                    assertEquals(sum, ((FloatValue) s.sum()).value(), s.name());
                }
                case INTEGER, UNSIGNED -> {
                    boolean unsigned = s.type() == FieldType.UNSIGNED;
                    java.math.BigInteger sum = java.math.BigInteger.ZERO;
                    java.math.BigInteger min = null;
                    java.math.BigInteger max = null;
                    for (FieldValue v : values) {
                        long x = v instanceof IntegerValue i ? i.value() : ((UnsignedValue) v).value();
                        java.math.BigInteger big = unsigned
                                ? new java.math.BigInteger(Long.toUnsignedString(x))
                                : java.math.BigInteger.valueOf(x);
                        sum = sum.add(big);
                        min = min == null || big.compareTo(min) < 0 ? big : min;
                        max = max == null || big.compareTo(max) > 0 ? big : max;
                    }
                    assertEquals(values.isEmpty() ? null : toValue(min, unsigned), s.min());
                    assertEquals(toValue(max, unsigned), s.max());
                    boolean fits = unsigned ? sum.signum() >= 0 && sum.bitLength() <= 64 : sum.bitLength() <= 63;
                    assertEquals(fits ? toValue(sum, unsigned) : null, s.sum(), s.name() + " sum");
                }
                case BOOLEAN ->
                    assertEquals(
                            new IntegerValue(values.stream()
                                    .filter(v -> ((BooleanValue) v).value())
                                    .count()),
                            s.sum());
                case STRING -> assertNull(s.sum());
            }
        }
    }

    private static FieldValue toValue(java.math.BigInteger v, boolean unsigned) {
        return unsigned ? new UnsignedValue(v.longValue()) : new IntegerValue(v.longValueExact());
    }

    @Test
    void mergesOutOfOrderAndDuplicatePointsLastWriteWinning() {
        TimeBlock block = TimeBlock.builder()
                .add(30, Map.of("a", FieldValue.of(3.0)))
                .add(10, Map.of("a", FieldValue.of(1.0), "b", FieldValue.ofInteger(1)))
                .add(20, Map.of("a", FieldValue.of(2.0)))
                .add(10, Map.of("a", FieldValue.of(1.5)))
                .add(30, Map.of("b", FieldValue.ofInteger(3)))
                .build();
        assertArrayEquals(new long[] {10, 20, 30}, block.timestamps());
        assertEquals(
                List.of(
                        new TimeBlock.Row(10, Map.of("a", FieldValue.of(1.5), "b", FieldValue.ofInteger(1))),
                        new TimeBlock.Row(20, Map.of("a", FieldValue.of(2.0))),
                        new TimeBlock.Row(30, Map.of("a", FieldValue.of(3.0), "b", FieldValue.ofInteger(3)))),
                block.rows());
        // A late point for a sealed block: rebuild it with the block's rows first.
        TimeBlock merged = TimeBlock.builder()
                .addAll(block)
                .add(20, Map.of("a", FieldValue.of(2.5)))
                .add(5, Map.of("b", FieldValue.ofInteger(0)))
                .build();
        assertArrayEquals(new long[] {5, 10, 20, 30}, merged.timestamps());
        assertEquals(new FloatValue(2.5), merged.rows().get(2).fields().get("a"));
        Column b = merged.column("b");
        assertTrue(b.present(0) && b.present(1) && !b.present(2) && b.present(3));
        assertEquals(3, merged.field("b").count());
        assertEquals(FieldValue.ofInteger(4), merged.field("b").sum());
    }

    @Test
    void rejectsAFieldThatChangesTypeAndKeepsTheBuilderAsItWas() {
        TimeBlock.Builder b = TimeBlock.builder().add(1, Map.of("v", FieldValue.of(1.0)));
        TimeBlockException e = assertThrows(
                TimeBlockException.class,
                () -> b.add(2, Map.of("w", FieldValue.of(true), "v", FieldValue.ofInteger(2))));
        assertTrue(e.getMessage().contains("field 'v' is FLOAT"), e.getMessage());
        assertEquals(1, b.size());
        TimeBlock block = b.build();
        assertEquals(List.of("v"), block.fieldNames());
        assertThrows(IllegalStateException.class, () -> TimeBlock.builder().build());
    }

    // ------------------------------------------------------------ compression

    @Test
    void regularTimestampsTakeAboutOneBitPerPoint() {
        int n = 1000;
        TimeBlock.Builder b = TimeBlock.builder();
        for (int i = 0; i < n; i++) {
            b.add(T0 + i * TEN_SECONDS, Map.of("c", FieldValue.ofInteger(7), "k", FieldValue.ofInteger(1000 + 3L * i)));
        }
        TimeBlock block = b.build();
        BitWriter w = new BitWriter(16);
        Codecs.writeTimestamps(block.timestamps(), n, w);
        // 64 bits for the first time, one bucket for the first delta, then '0' per point.
        double timeBits = (w.size() * 8.0 - 64 - 69) / (n - 1);
        assertTrue(timeBits <= 1.01, "timestamp bits per point: " + timeBits);
        // A constant and a counter with a constant step both pack to nearly nothing: the whole
        // block (header with two field summaries, ~142 bytes of timestamps) stays under 0.3 bytes a row.
        assertTrue(block.encodedSize() < 300, "block of " + n + " rows took " + block.encodedSize() + " bytes");
    }

    @Test
    void decimalFloatsPackAsScaledIntegersAndStayExact() {
        double[] v = {0.1, 0.2, 0.3, 12.5, -7.9, 100.0};
        assertEquals(1, Codecs.decimalExponent(v, v.length));
        assertEquals(-1, Codecs.decimalExponent(new double[] {0.1, -0.0}, 2));
        assertEquals(-1, Codecs.decimalExponent(new double[] {Double.NaN}, 1));
        assertEquals(-1, Codecs.decimalExponent(new double[] {1e-20}, 1));
        assertEquals(-1, Codecs.decimalExponent(new double[] {1e20}, 1));
        assertEquals(-1, Codecs.decimalExponent(new double[] {Double.MIN_VALUE}, 1));
        assertEquals(3, Codecs.decimalExponent(new double[] {1.001, 2}, 2));
        Seeded.run("decimal floats", rnd -> {
            for (int round = 0; round < 50; round++) {
                int digits = rnd.nextInt(6);
                double scale = Math.pow(10, digits);
                int n = 1 + rnd.nextInt(300);
                TimeBlock.Builder b = TimeBlock.builder();
                double[] expected = new double[n];
                for (int i = 0; i < n; i++) {
                    expected[i] = Math.round(rnd.nextGaussian() * 1e4 * scale) / scale;
                    b.add(i, Map.of("v", FieldValue.of(expected[i])));
                }
                Column c = b.build().column("v");
                for (int i = 0; i < n; i++) {
                    assertEquals(
                            Double.doubleToRawLongBits(expected[i]),
                            Double.doubleToRawLongBits(c.doubleAt(i)),
                            "row " + i);
                }
            }
        });
    }

    /**
     * A TSBS cpu-only row: 10 float fields (usage_user, ...) each random-walking with one decimal
     * between 0 and 100, one row every 10 s. Prints the bytes per row a block reaches.
     */
    @Test
    void tsbsCpuRowsTakeFewBytesPerRow() {
        String[] names = {
            "usage_user", "usage_system", "usage_idle", "usage_nice", "usage_iowait",
            "usage_irq", "usage_softirq", "usage_steal", "usage_guest", "usage_guest_nice"
        };
        Seeded.run("tsbs cpu block", rnd -> {
            int rowsPerBlock = 1000;
            int blocks = 4;
            long bytes = 0;
            long gorillaBytes = 0;
            double[] value = new double[names.length];
            for (int f = 0; f < names.length; f++) {
                value[f] = Math.round(rnd.nextDouble() * 1000) / 10.0;
            }
            long t = T0;
            for (int blk = 0; blk < blocks; blk++) {
                TimeBlock.Builder b = TimeBlock.builder();
                double[][] cols = new double[names.length][rowsPerBlock];
                for (int i = 0; i < rowsPerBlock; i++) {
                    Map<String, FieldValue> row = new HashMap<>();
                    for (int f = 0; f < names.length; f++) {
                        double step = Math.round(rnd.nextGaussian() * 10) / 10.0;
                        value[f] = Math.round(Math.min(100, Math.max(0, value[f] + step)) * 10) / 10.0;
                        row.put(names[f], FieldValue.of(value[f]));
                        cols[f][i] = value[f];
                    }
                    b.add(t, row);
                    t += TEN_SECONDS;
                }
                TimeBlock block = b.build();
                assertEquals(rowsPerBlock, block.count());
                bytes += block.encodedSize();
                for (double[] col : cols) {
                    gorillaBytes += gorillaSize(col);
                }
            }
            double perRow = (double) bytes / (rowsPerBlock * blocks);
            double gorillaPerRow = (double) gorillaBytes / (rowsPerBlock * blocks);
            System.out.printf(
                    "TSBS cpu-like rows (10 float fields, 1 decimal, 10 s): %.2f bytes per row in %d-row blocks"
                            + " (%.2f bytes per value; plain Gorilla XOR would take %.2f bytes per row for the values)%n",
                    perRow, rowsPerBlock, perRow / names.length, gorillaPerRow);
            // Measured about 8.4; 12 leaves room for the random walk, not for a lost encoding.
            assertTrue(perRow < 12, "bytes per row: " + perRow);
        });
    }

    /** Bytes plain Gorilla XOR takes for a column (a -0.0 appended forces the XOR mode). */
    private static long gorillaSize(double[] col) {
        double[] withNegZero = java.util.Arrays.copyOf(col, col.length + 1);
        withNegZero[col.length] = -0.0;
        BitWriter w = new BitWriter(16);
        Codecs.writeFloats(withNegZero, withNegZero.length, w);
        return w.size();
    }

    // ------------------------------------------------------------ corruption

    @Test
    void refusesCorruptTruncatedOrForeignBytes() {
        TimeBlock block = TimeBlock.builder()
                .add(1, Map.of("v", FieldValue.of(1.5), "s", FieldValue.of("x")))
                .add(2, Map.of("v", FieldValue.of(2.5)))
                .build();
        byte[] good = block.toByteArray();
        assertEquals(block.rows(), TimeBlock.read(good).rows());
        for (int i = 0; i < good.length; i++) {
            byte[] bad = good.clone();
            bad[i] ^= 0x10;
            int at = i;
            assertThrows(TimeBlockException.class, () -> TimeBlock.read(bad), () -> "flipped byte " + at);
        }
        assertThrows(TimeBlockException.class, () -> TimeBlock.read(java.util.Arrays.copyOf(good, good.length - 1)));
        assertThrows(TimeBlockException.class, () -> TimeBlock.read(new byte[3]));
        TimeBlockException v = assertThrows(TimeBlockException.class, () -> {
            byte[] bad = good.clone();
            bad[4] = 9;
            TimeBlock.read(bad);
        });
        assertTrue(v.getMessage().contains("version 9"), v.getMessage());
    }
}
