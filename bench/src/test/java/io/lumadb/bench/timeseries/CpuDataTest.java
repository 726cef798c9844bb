package io.lumadb.bench.timeseries;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CpuDataTest {

    private static final long HOUR = TimeUnit.HOURS.toNanos(1);

    private static CpuData.Settings settings(long seed, int hosts, int rowsPerHost) {
        return new CpuData.Settings(seed, hosts, rowsPerHost, CpuData.TSBS_START, CpuData.TEN_SECONDS, HOUR);
    }

    private static byte[] bytes(CpuData data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        data.write(out);
        return out.toByteArray();
    }

    @Test
    void theSameSeedWritesTheSameBytesAndAnotherSeedOthers() throws IOException {
        byte[] first = bytes(new CpuData(settings(7, 5, 100)));
        assertArrayEquals(first, bytes(new CpuData(settings(7, 5, 100))));
        assertFalse(java.util.Arrays.equals(first, bytes(new CpuData(settings(8, 5, 100)))));
    }

    @Test
    void everyLineHasTheTsbsCpuOnlyShape() throws IOException {
        int hosts = 12;
        int rows = 30;
        String text = new String(bytes(new CpuData(settings(1, hosts, rows))), StandardCharsets.US_ASCII);
        assertTrue(text.endsWith("\n"));
        String[] lines = text.split("\n");
        assertEquals(hosts * rows, lines.length);
        Set<String> hostnames = new HashSet<>();
        for (int i = 0; i < lines.length; i++) {
            Line line = Line.parse(lines[i]);
            assertEquals("cpu", line.measurement);
            assertEquals(CpuData.TAGS, line.tagKeys, lines[i]);
            assertEquals(CpuData.FIELDS, line.fieldKeys, lines[i]);
            // TSBS order: every host at one instant, then the next instant.
            assertEquals(CpuData.TSBS_START + (i / hosts) * CpuData.TEN_SECONDS, line.time, lines[i]);
            assertEquals("host_" + (i % hosts), line.tags.get("hostname"));
            for (String v : line.fieldValues) {
                assertTrue(v.matches("\\d{1,3}\\.\\d"), "one decimal, no exponent, a float in line protocol: " + v);
                double d = Double.parseDouble(v);
                assertTrue(d >= 0 && d <= 100, v);
            }
            assertTrue(line.tags.get("datacenter").startsWith(line.tags.get("region")), lines[i]);
            assertTrue(Set.of("x64", "x86").contains(line.tags.get("arch")), lines[i]);
            assertTrue(Set.of("production", "staging", "test").contains(line.tags.get("service_environment")));
            int rack = Integer.parseInt(line.tags.get("rack"));
            assertTrue(rack >= 0 && rack < 100);
            hostnames.add(line.tags.get("hostname"));
        }
        assertEquals(hosts, hostnames.size());
    }

    @Test
    void aHostKeepsItsTagsAndItsFieldsWalkInSmallSteps() throws IOException {
        int hosts = 3;
        String text = new String(bytes(new CpuData(settings(3, hosts, 2_000))), StandardCharsets.US_ASCII);
        Map<String, Map<String, String>> tagsOf = new HashMap<>();
        Map<String, Double> previous = new HashMap<>();
        double steps = 0;
        long count = 0;
        for (String l : text.split("\n")) {
            Line line = Line.parse(l);
            String host = line.tags.get("hostname");
            Map<String, String> known = tagsOf.putIfAbsent(host, line.tags);
            if (known != null) {
                assertEquals(known, line.tags);
            }
            for (int f = 0; f < line.fieldKeys.size(); f++) {
                double v = Double.parseDouble(line.fieldValues.get(f));
                Double before = previous.put(host + "/" + f, v);
                if (before != null) {
                    steps += Math.abs(v - before);
                    count++;
                }
            }
        }
        // N(0,1) steps average about 0.8 (less at the clamps); uniform noise on [0, 100] would average 33.
        double mean = steps / count;
        assertTrue(mean > 0.3 && mean < 1.2, "mean step " + mean);
    }

    @Test
    void theExpectedWindowsAreTheMeanAndMaxOfUsageUserAsWritten() throws IOException {
        int hosts = 4;
        int rows = 900; // 2.5 hours: the last window is half full
        CpuData data = new CpuData(settings(5, hosts, rows));
        String text = new String(bytes(data), StandardCharsets.US_ASCII);
        Map<String, List<Double>> byWindow = new HashMap<>();
        for (String l : text.split("\n")) {
            Line line = Line.parse(l);
            long window = CpuData.TSBS_START + (line.time - CpuData.TSBS_START) / HOUR * HOUR;
            byWindow.computeIfAbsent(line.tags.get("hostname") + "@" + window, k -> new ArrayList<>())
                    .add(Double.parseDouble(line.fieldValues.get(0)));
        }
        List<Window> expected = data.expectedWindows();
        assertEquals(hosts * 3, expected.size());
        assertEquals(byWindow.size(), expected.size());
        for (Window w : expected) {
            List<Double> values = byWindow.get(w.host() + "@" + w.start());
            double mean =
                    values.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            double max = values.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
            assertEquals(mean, w.mean(), 1e-9 * Math.max(1, mean), w.toString());
            assertEquals(max, w.max(), w.toString());
        }
        assertEquals(Window.sorted(expected), expected);
    }

    @Test
    void rejectsSettingsItCannotAnswerFor() {
        assertThrows(IllegalArgumentException.class, () -> settings(1, 0, 10));
        assertThrows(IllegalArgumentException.class, () -> settings(1, 1, 0));
        assertThrows(
                IllegalArgumentException.class,
                () -> new CpuData.Settings(1, 1, 1, CpuData.TSBS_START + 1, CpuData.TEN_SECONDS, HOUR));
        assertThrows(
                IllegalArgumentException.class,
                () -> new CpuData.Settings(1, 1, 1, CpuData.TSBS_START, CpuData.TEN_SECONDS * 7, HOUR));
        CpuData data = new CpuData(settings(1, 1, 1));
        assertThrows(IllegalStateException.class, data::expectedWindows);
    }

    @Test
    void writesOnce() throws IOException {
        CpuData data = new CpuData(settings(1, 1, 1));
        bytes(data);
        assertThrows(IllegalStateException.class, () -> bytes(data));
    }

    /** A line-protocol line of the generator's kind: no escapes, no quoted strings. */
    private static final class Line {
        String measurement;
        final List<String> tagKeys = new ArrayList<>();
        final Map<String, String> tags = new HashMap<>();
        final List<String> fieldKeys = new ArrayList<>();
        final List<String> fieldValues = new ArrayList<>();
        long time;

        static Line parse(String text) {
            String[] parts = text.split(" ");
            assertEquals(3, parts.length, text);
            Line line = new Line();
            String[] series = parts[0].split(",");
            line.measurement = series[0];
            for (int i = 1; i < series.length; i++) {
                String[] kv = series[i].split("=");
                line.tagKeys.add(kv[0]);
                line.tags.put(kv[0], kv[1]);
            }
            for (String field : parts[1].split(",")) {
                String[] kv = field.split("=");
                line.fieldKeys.add(kv[0]);
                line.fieldValues.add(kv[1]);
            }
            line.time = Long.parseLong(parts[2]);
            return line;
        }
    }
}
