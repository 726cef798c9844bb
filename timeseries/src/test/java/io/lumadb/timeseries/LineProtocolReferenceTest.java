package io.lumadb.timeseries;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The parser against {@link ReferenceLineProtocol}, the parser it replaced: on random bodies of
 * good, odd and broken lines, both give the same points, the same errors (line, column, message,
 * text) and the same line numbers.
 */
class LineProtocolReferenceTest {

    private static final long NOW = 1_700_000_000_123_456_789L;

    private static final String[] NAMES = {
        "cpu",
        "mem",
        "host",
        "region",
        "usage_user",
        "a b",
        "a,b",
        "a=b",
        "x\\",
        "ü",
        "日本",
        "😀",
        "time",
        "t",
        "f",
        "#c"
    };

    /** A name as a line would write it: escaped, sometimes badly. */
    private static String name(Random r) {
        // Mostly plain names, so that most lines are good.
        String n = NAMES[r.nextInt(4) > 0 ? r.nextInt(5) : r.nextInt(NAMES.length)];
        StringBuilder sb = new StringBuilder();
        for (char c : n.toCharArray()) {
            if ((c == ' ' || c == ',' || c == '=') && r.nextInt(8) != 0) {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    private static String digits(Random r, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            sb.append((char) ('0' + r.nextInt(10)));
        }
        return sb.toString();
    }

    private static String number(Random r) {
        String sign = r.nextInt(4) == 0 ? "-" : "";
        return switch (r.nextBoolean() ? 9 : r.nextInt(12)) {
            case 0 -> sign + digits(r, 1 + r.nextInt(25));
            case 1 -> sign + digits(r, r.nextInt(4)) + "." + digits(r, r.nextInt(25));
            case 2 ->
                sign + digits(r, 1 + r.nextInt(3)) + "." + digits(r, r.nextInt(4)) + (r.nextBoolean() ? "e" : "E")
                        + (r.nextBoolean() ? "-" : r.nextBoolean() ? "+" : "") + digits(r, r.nextInt(4));
            case 3 -> sign + "0." + "0".repeat(r.nextInt(30)) + digits(r, 1 + r.nextInt(5));
            case 4 -> sign + digits(r, 1 + r.nextInt(19)) + "i";
            case 5 -> sign + (r.nextBoolean() ? "9223372036854775807" : "9223372036854775808") + "i";
            case 6 -> digits(r, 1 + r.nextInt(21)) + "u";
            case 7 ->
                List.of("t", "T", "true", "True", "TRUE", "f", "F", "false", "False", "FALSE", "tru", "yes")
                        .get(r.nextInt(12));
            case 8 ->
                "\""
                        + List.of("", "a", "a b", "q\\\"q", "\\\\", "x\\n", "ü", "open")
                                .get(r.nextInt(8)) + (r.nextInt(8) == 0 ? "" : "\"");
            case 9 -> sign + String.format(java.util.Locale.ROOT, "%.1f", r.nextDouble() * 100);
            case 10 -> sign + Double.toString(r.nextGaussian() * Math.pow(10, r.nextInt(40) - 20));
            default ->
                List.of("1e309", "-1e400", "NaN", "inf", "1..2", ".", "-", "1e", "0x10", "")
                        .get(r.nextInt(10));
        };
    }

    private static String timestamp(Random r) {
        return switch (r.nextInt(6)) {
            case 0 -> "";
            case 1 -> " " + digits(r, 1 + r.nextInt(19));
            case 2 -> " -" + digits(r, 1 + r.nextInt(19));
            case 3 -> " " + (1_451_606_400_000_000_000L + r.nextInt(1_000_000)) + (r.nextBoolean() ? "  " : "");
            case 4 -> " 9223372036854775807";
            default -> " " + digits(r, 1 + r.nextInt(25)) + (r.nextInt(4) == 0 ? "x" : "");
        };
    }

    private static String line(Random r, List<String> seriesSeen) {
        StringBuilder sb = new StringBuilder();
        if (r.nextInt(10) == 0) {
            sb.append(r.nextBoolean() ? "  " : "\t");
        }
        if (!seriesSeen.isEmpty() && r.nextInt(3) > 0) {
            sb.append(seriesSeen.get(r.nextInt(seriesSeen.size())));
        } else {
            StringBuilder series = new StringBuilder(name(r));
            int tags = r.nextInt(4);
            for (int t = 0; t < tags; t++) {
                series.append(',').append(name(r)).append('=').append(name(r));
            }
            seriesSeen.add(series.toString());
            sb.append(series);
        }
        sb.append(r.nextInt(10) == 0 ? "  " : " ");
        int fields = 1 + r.nextInt(5);
        for (int f = 0; f < fields; f++) {
            if (f > 0) {
                sb.append(',');
            }
            sb.append(name(r)).append('=').append(number(r));
        }
        sb.append(timestamp(r));
        return sb.toString();
    }

    private static byte[] body(Random r) {
        List<String> seen = new ArrayList<>();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int lines = 1 + r.nextInt(30);
        for (int i = 0; i < lines; i++) {
            String line =
                    switch (r.nextInt(20)) {
                        case 0 -> "";
                        case 1 -> "# a comment";
                        default -> line(r, seen);
                    };
            byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
            // Now and then a byte broken: a control character, a bad UTF-8 byte, a delimiter.
            if (bytes.length > 0 && r.nextInt(8) == 0) {
                byte[] choices = {0x01, (byte) 0xFF, (byte) 0xC3, ' ', ',', '=', '"', '\\', '-', '.', 'e'};
                bytes[r.nextInt(bytes.length)] = choices[r.nextInt(choices.length)];
            }
            out.writeBytes(bytes);
            if (i < lines - 1 || r.nextBoolean()) {
                out.writeBytes(r.nextInt(5) == 0 ? "\r\n".getBytes(StandardCharsets.UTF_8) : new byte[] {'\n'});
            }
        }
        return out.toByteArray();
    }

    @Test
    void parsesEveryBodyAsTheReferenceParserDoes() {
        Seeded.run("line protocol against the reference parser", random -> {
            int points = 0;
            int errors = 0;
            for (int round = 0; round < 3000; round++) {
                byte[] body = body(random);
                Precision precision = Precision.values()[random.nextInt(Precision.values().length)];
                ReferenceLineProtocol.ParseResult expected = ReferenceLineProtocol.parse(body, precision, NOW);
                LineProtocol.ParseResult actual = LineProtocol.parse(body, precision, NOW);
                String what = new String(body, StandardCharsets.UTF_8) + " in " + precision;
                assertEquals(expected.points(), actual.points(), what);
                assertEquals(expected.errors(), actual.errors(), what);
                assertArrayEquals(expected.lines(), actual.lines(), what);
                points += actual.points().size();
                errors += actual.errors().size();
            }
            assertTrue(points > 5_000 && errors > 5_000, points + " points and " + errors + " errors");
        });
    }

    @Test
    void readsDecimalsToTheSameBitsAsParseDouble() {
        Seeded.run("decimal floats", random -> {
            for (int i = 0; i < 200_000; i++) {
                String text =
                        switch (random.nextInt(4)) {
                            case 0 -> digits(random, 1 + random.nextInt(16)) + "." + digits(random, random.nextInt(23));
                            case 1 -> "0." + digits(random, 1 + random.nextInt(22));
                            case 2 -> String.format(java.util.Locale.ROOT, "%.1f", random.nextDouble() * 100);
                            default -> Double.toString(random.nextDouble() * Math.pow(10, random.nextInt(30) - 10));
                        };
                Point p = LineProtocol.parseLine("m f=" + text, Precision.NANOSECONDS, NOW);
                double parsed = ((FieldValue.FloatValue) p.fields().get("f")).value();
                assertEquals(
                        Double.doubleToRawLongBits(Double.parseDouble(text)), Double.doubleToRawLongBits(parsed), text);
            }
        });
    }
}
