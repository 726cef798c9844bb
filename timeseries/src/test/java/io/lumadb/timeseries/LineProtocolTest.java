package io.lumadb.timeseries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.timeseries.FieldValue.BooleanValue;
import io.lumadb.timeseries.FieldValue.FloatValue;
import io.lumadb.timeseries.FieldValue.IntegerValue;
import io.lumadb.timeseries.FieldValue.StringValue;
import io.lumadb.timeseries.FieldValue.UnsignedValue;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Line protocol as InfluxDB documents it: the examples of its reference, edge cases, and round trips. */
class LineProtocolTest {

    private static final long NOW = 1_700_000_000_123_456_789L;

    private static Point one(String line) {
        return one(line, Precision.NANOSECONDS);
    }

    private static Point one(String line, Precision p) {
        LineProtocol.ParseResult r = LineProtocol.parse(line, p, NOW);
        assertTrue(r.ok(), () -> "unexpected errors: " + r.errors());
        assertEquals(1, r.points().size());
        return r.points().get(0);
    }

    private static LineProtocolError bad(String line) {
        LineProtocol.ParseResult r = LineProtocol.parse(line, Precision.NANOSECONDS, NOW);
        assertEquals(List.of(), r.points(), "no point from a bad line");
        assertEquals(1, r.errors().size());
        return r.errors().get(0);
    }

    private static void assertError(String line, int column, String messagePart) {
        LineProtocolError e = bad(line);
        assertEquals(1, e.line());
        assertEquals(column, e.column(), () -> "column of " + e.describe());
        assertTrue(e.message().contains(messagePart), () -> "'" + e.message() + "' should say '" + messagePart + "'");
        assertEquals(line, e.text());
    }

    private static List<Point.Tag> tags(String... kv) {
        List<Point.Tag> t = new ArrayList<>();
        for (int i = 0; i < kv.length; i += 2) {
            t.add(new Point.Tag(kv[i], kv[i + 1]));
        }
        return t;
    }

    // ------------------------------------------------------------ the reference's examples

    @Test
    void linesOfASeriesSeenBeforeInTheBodyParseAsIfAlone() {
        String[] series = {
            "cpu,host=a,region=eu",
            "cpu,region=eu,host=a",
            "cpu",
            "mem,host=a",
            "cpu,host=a\\ b",
            "cpu,host=\"q\"",
            "cpu,host=a,host=b",
            "cpu,time=x",
            "cpu,host=",
            "cpu,host=a,region=eu,zone=1"
        };
        String[] fieldSets = {"v=1", "v=2i,s=\"x y\"", "v=", "v=1,v=2", "ok=true", "time=1", "v=1.5e3,u=3u"};
        Seeded.run("the series cache", random -> {
            StringBuilder body = new StringBuilder();
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                String line = series[random.nextInt(series.length)] + " "
                        + fieldSets[random.nextInt(fieldSets.length)]
                        + (random.nextBoolean() ? " " + random.nextInt(1000) : "");
                lines.add(line);
                body.append(line).append('\n');
            }
            LineProtocol.ParseResult all = LineProtocol.parse(body.toString(), Precision.NANOSECONDS, 7);
            List<Point> alone = new ArrayList<>();
            List<Integer> bad = new ArrayList<>();
            for (int i = 0; i < lines.size(); i++) {
                try {
                    alone.add(LineProtocol.parseLine(lines.get(i), Precision.NANOSECONDS, 7));
                } catch (LineProtocolException e) {
                    bad.add(i + 1);
                }
            }
            assertEquals(alone, all.points());
            assertEquals(bad, all.errors().stream().map(LineProtocolError::line).toList());
        });
    }

    @Test
    void eachPointKnowsItsLineSoAPointRefusedLaterCanBeNamedByIt() {
        LineProtocol.ParseResult r = LineProtocol.parse(
                "# a comment\ncpu v=1 1\n\nbad line\r\ncpu v=2 2\ncpu v=3 3", Precision.NANOSECONDS, 0);
        assertEquals(3, r.points().size());
        assertEquals(2, r.line(0));
        assertEquals(5, r.line(1));
        assertEquals(6, r.line(2));
        assertEquals(4, r.errors().getFirst().line());
    }

    @Test
    void readsTheReferenceExample() {
        Point p = one("myMeasurement,tag1=value1,tag2=value2 fieldKey=\"fieldValue\" 1556813561098000000");
        assertEquals("myMeasurement", p.measurement());
        assertEquals(tags("tag1", "value1", "tag2", "value2"), p.tags());
        assertEquals(Map.of("fieldKey", new StringValue("fieldValue")), p.fields());
        assertEquals(1556813561098000000L, p.time());
    }

    @Test
    void unescapesSpacesAndCommasInMeasurements() {
        assertEquals(
                "my Measurement",
                one("my\\ Measurement fieldKey=\"string value\"").measurement());
        assertEquals("my,Measurement", one("my\\,Measurement f=1").measurement());
        // '=' needs no escape in a measurement, and '\=' is not an escape there.
        assertEquals("a=b", one("a=b f=1").measurement());
        assertEquals("a\\=b", one("a\\=b f=1").measurement());
    }

    @Test
    void unescapesCommasEqualsAndSpacesInTagsAndFieldKeys() {
        Point p = one("myMeasurement,tag\\ Key1=tag\\ Value1,tag\\ Key2=tag\\ Value2 fieldKey=100");
        assertEquals(tags("tag Key1", "tag Value1", "tag Key2", "tag Value2"), p.tags());
        Point q = one("m,k\\,1\\=x=v\\,a\\=b f\\ 1\\,\\==1");
        assertEquals(tags("k,1=x", "v,a=b"), q.tags());
        assertEquals(Map.of("f 1,=", new FloatValue(1)), q.fields());
    }

    @Test
    void unescapesQuotesAndBackslashesInStringFields() {
        assertEquals(
                new StringValue("\"string\" within a string"),
                one("myMeasurement fieldKey=\"\\\"string\\\" within a string\"")
                        .fields()
                        .get("fieldKey"));
        assertEquals(
                new StringValue("line\nbreak\ttab\rreturn"),
                one("m s=\"line\\nbreak\\ttab\\rreturn\"").fields().get("s"));
        // A comma, a space and an equals sign need no escape inside quotes.
        assertEquals(new StringValue("a, b=c"), one("m s=\"a, b=c\"").fields().get("s"));
        assertEquals(new StringValue(""), one("m s=\"\"").fields().get("s"));
    }

    @Test
    void readsTheReferenceEscapingExample() {
        // From InfluxDB's reference: escaped '=' in a tag value, literal and escaped backslashes.
        Point a = one("airSensor,sensor_id=TLM\\=0201 desc=\"\\=My data==\\\\\"");
        assertEquals("airSensor", a.measurement());
        assertEquals(tags("sensor_id", "TLM=0201"), a.tags());
        assertEquals(new StringValue("\\=My data==\\"), a.fields().get("desc"));
        Point b = one("air\\\\\\\\\\Sensor,sensor_id=TLM\\=0201 desc=\"\\\\\\\"==My data\\==\\\\\"");
        assertEquals("air\\\\\\\\\\Sensor", b.measurement());
        assertEquals(new StringValue("\\\"==My data\\==\\"), b.fields().get("desc"));
    }

    @Test
    void readsContiguousBackslashesInStringsAsTheReferenceTableSays() {
        String[][] table = {
            {"\\", "\\"},
            {"\\\\", "\\"},
            {"\\\\\\", "\\\\"},
            {"\\\\\\\\", "\\\\"},
            {"\\\\\\\\\\", "\\\\\\"},
            {"\\\\\\\\\\\\", "\\\\\\"},
        };
        for (String[] row : table) {
            Point p = one("m s=\"a" + row[0] + "x\"");
            assertEquals(new StringValue("a" + row[1] + "x"), p.fields().get("s"), row[0]);
        }
    }

    @Test
    void keepsABackslashBeforeAnOrdinaryCharacterInNames() {
        Point p = one("m\\x,t\\y=v\\\\,k\\=w f\\z=1");
        assertEquals("m\\x", p.measurement());
        // "v\\," is a literal backslash and then an escaped comma: the value goes on.
        assertEquals(tags("t\\y", "v\\,k=w"), p.tags());
        assertEquals(Map.of("f\\z", new FloatValue(1)), p.fields());
    }

    @Test
    void readsEmojisAndQuotesInNames() {
        Point p = one("myMeasurement,tagKey=🍭 fieldKey=\"Launch 🚀\" 1556813561098000000");
        assertEquals(tags("tagKey", "🍭"), p.tags());
        assertEquals(new StringValue("Launch 🚀"), p.fields().get("fieldKey"));
        Point q = one("joe'smeasurement,pat'sTag=tag1,q\"t=\"x\" fieldKey=100");
        assertEquals("joe'smeasurement", q.measurement());
        assertEquals(tags("pat'sTag", "tag1", "q\"t", "\"x\""), q.tags());
    }

    // ------------------------------------------------------------ field types

    @Test
    void readsFloatsInEveryDocumentedForm() {
        Map<String, Double> cases = new LinkedHashMap<>();
        cases.put("1.0", 1.0);
        cases.put("1", 1.0);
        cases.put("-1.234456e+78", -1.234456e+78);
        cases.put("1E5", 1e5);
        cases.put("1e-3", 1e-3);
        cases.put(".5", 0.5);
        cases.put("-.5", -0.5);
        cases.put("1.", 1.0);
        cases.put("-0", -0.0);
        cases.put("1.7976931348623157e308", Double.MAX_VALUE);
        cases.put("4.9e-324", Double.MIN_VALUE);
        for (Map.Entry<String, Double> c : cases.entrySet()) {
            assertEquals(
                    new FloatValue(c.getValue()),
                    one("m f=" + c.getKey()).fields().get("f"),
                    c.getKey());
        }
    }

    @Test
    void rejectsFloatsThatAreNotNumbersOrNotFinite() {
        for (String v : List.of("1e400", "-1e400")) {
            assertError("m f=" + v, 5, "out of range");
        }
        for (String v : List.of("NaN", "Inf", "+1", "1.2.3", "0x10", "1e", "1e+", "-", ".", "1_000", "1d", "--1")) {
            assertError("m f=" + v, 5, "expected a value for field 'f'");
        }
    }

    @Test
    void readsSignedIntegersToTheirLimits() {
        assertEquals(new IntegerValue(1), one("m f=1i").fields().get("f"));
        assertEquals(new IntegerValue(-12485903), one("m f=-12485903i").fields().get("f"));
        assertEquals(
                new IntegerValue(Long.MIN_VALUE),
                one("m f=-9223372036854775808i").fields().get("f"));
        assertEquals(
                new IntegerValue(Long.MAX_VALUE),
                one("m f=9223372036854775807i").fields().get("f"));
        assertError("m f=9223372036854775808i", 5, "out of range");
        assertError("m f=-9223372036854775809i", 5, "out of range");
        assertError("m f=1.5i", 5, "expected a value");
        assertError("m f=i", 5, "expected a value");
        assertError("m f=1I", 5, "expected a value");
    }

    @Test
    void readsUnsignedIntegersToTheirLimits() {
        assertEquals(new UnsignedValue(0), one("m f=0u").fields().get("f"));
        assertEquals(new UnsignedValue(12485903), one("m f=12485903u").fields().get("f"));
        assertEquals(
                new UnsignedValue(-1L),
                one("m f=18446744073709551615u").fields().get("f"));
        assertError("m f=18446744073709551616u", 5, "out of range");
        assertError("m f=-1u", 5, "expected a value");
    }

    @Test
    void readsEveryBooleanSpelling() {
        for (String t : List.of("t", "T", "true", "True", "TRUE")) {
            assertEquals(new BooleanValue(true), one("m f=" + t).fields().get("f"), t);
        }
        for (String f : List.of("f", "F", "false", "False", "FALSE")) {
            assertEquals(new BooleanValue(false), one("m f=" + f).fields().get("f"), f);
        }
        for (String x : List.of("tRUE", "fAlse", "yes", "tru", "falsey")) {
            assertError("m f=" + x, 5, "expected a value for field 'f'");
        }
        assertEquals(new StringValue("true"), one("m f=\"true\"").fields().get("f"));
    }

    @Test
    void keepsTheLastValueOfAFieldGivenTwice() {
        assertEquals(Map.of("f", new IntegerValue(2)), one("m f=1,f=2i").fields());
    }

    // ------------------------------------------------------------ timestamps

    @Test
    void givesLinesWithoutATimestampTheCallersNow() {
        assertEquals(NOW, one("m f=1").time());
        assertEquals(NOW, one("m f=1 ").time());
        assertEquals(NOW, one("m,t=a f=\"x y\"   ").time());
    }

    @Test
    void convertsEveryPrecisionToNanoseconds() {
        assertEquals(
                1556813561098000000L,
                one("m f=1 1556813561098000000", Precision.NANOSECONDS).time());
        assertEquals(
                1556813561098000000L,
                one("m f=1 1556813561098000", Precision.MICROSECONDS).time());
        assertEquals(
                1556813561098000000L,
                one("m f=1 1556813561098", Precision.MILLISECONDS).time());
        assertEquals(
                1556813561000000000L, one("m f=1 1556813561", Precision.SECONDS).time());
        assertEquals(60_000_000_000L * 3, one("m f=1 3", Precision.MINUTES).time());
        assertEquals(3_600_000_000_000L * 3, one("m f=1 3", Precision.HOURS).time());
        assertEquals(-1_000_000_000L, one("m f=1 -1", Precision.SECONDS).time());
        // A missing timestamp is "now" whatever the precision.
        assertEquals(NOW, one("m f=1", Precision.SECONDS).time());
        assertEquals(Precision.MICROSECONDS, Precision.of("us"));
        assertEquals(Precision.MICROSECONDS, Precision.of("u"));
        assertEquals(Precision.NANOSECONDS, Precision.of("n"));
        assertThrows(IllegalArgumentException.class, () -> Precision.of("d"));
    }

    @Test
    void rejectsTimestampsOutsideTheRange() {
        assertEquals(LineProtocol.MAX_TIME, one("m f=1 9223372036854775806").time());
        assertEquals(LineProtocol.MIN_TIME, one("m f=1 -9223372036854775806").time());
        assertError("m f=1 9223372036854775807", 7, "timestamp is out of range");
        assertError("m f=1 -9223372036854775807", 7, "timestamp is out of range");
        assertError("m f=1 99999999999999999999", 7, "timestamp is out of range");
        LineProtocol.ParseResult r = LineProtocol.parse("m f=1 9223372037", Precision.SECONDS, NOW);
        assertEquals("timestamp is out of range", r.errors().get(0).message().substring(0, 25));
        assertError("m f=1 1.5", 7, "expected a timestamp");
        assertError("m f=1 12a", 7, "expected a timestamp");
        assertError("m f=1 1 2", 9, "expected the end of the line after the timestamp");
    }

    // ------------------------------------------------------------ lines, comments, whitespace

    @Test
    void skipsCommentsAndBlankLinesAndReadsCrlf() {
        String body = "# a comment\r\n\r\nm f=1 1\r\n   # an indented comment\n \t \nm f=2 2\r\n#last";
        LineProtocol.ParseResult r = LineProtocol.parse(body, Precision.NANOSECONDS, NOW);
        assertTrue(r.ok(), () -> r.errors().toString());
        assertEquals(2, r.points().size());
        assertEquals(1, r.points().get(0).time());
        assertEquals(2, r.points().get(1).time());
    }

    @Test
    void acceptsSeveralSpacesBetweenSectionsAndLeadingBlanks() {
        Point p = one("  m,t=a   f=1i    5   ");
        assertEquals("m", p.measurement());
        assertEquals(5, p.time());
    }

    @Test
    void readsGoodLinesAroundBadOnesAndNamesLineAndColumnOfEach() {
        String body = String.join(
                "\n",
                "cpu,host=a usage=1.5 1",
                "cpu,host usage=1 2",
                "# comment",
                "cpu,host=b usage=2.5 3",
                "cpu,host=c usage=\"open 4",
                "",
                "cpu,host=d usage=3.5 5\r",
                "cpu,host=e usage=1 x");
        LineProtocol.ParseResult r = LineProtocol.parse(body, Precision.NANOSECONDS, NOW);
        assertEquals(List.of(1L, 3L, 5L), r.points().stream().map(Point::time).toList());
        assertEquals(3, r.errors().size());
        LineProtocolError e1 = r.errors().get(0);
        assertEquals(2, e1.line());
        assertEquals(9, e1.column());
        assertEquals("expected '=' after tag key 'host'", e1.message());
        assertEquals("cpu,host usage=1 2", e1.text());
        LineProtocolError e2 = r.errors().get(1);
        assertEquals(5, e2.line());
        assertEquals(18, e2.column());
        assertEquals("string value of field 'usage' has no closing '\"'", e2.message());
        LineProtocolError e3 = r.errors().get(2);
        assertEquals(8, e3.line());
        assertEquals(20, e3.column());
        assertEquals(
                "line 8, column 20: expected a timestamp: an integer number of ns since the Unix epoch", e3.describe());
    }

    @Test
    void namesWhatWasExpectedForEachKindOfBadLine() {
        assertError("m", 2, "expected a space and a field set after 'm'");
        assertError("m,t=a", 6, "expected a space and a field set after 'm' and its tags");
        assertError("m ", 3, "expected a field key");
        assertError(",t=1 f=1", 1, "expected a measurement name");
        assertError(" ,t=1 f=1", 2, "expected a measurement name");
        assertError("m, f=1", 3, "expected a tag key");
        assertError("m,=v f=1", 3, "expected a tag key");
        assertError("m,t f=1", 4, "expected '=' after tag key 't'");
        assertError("m,t= f=1", 5, "expected a value for tag 't'");
        assertError("m,t=a=b f=1", 6, "'=' in a tag value is written '\\='");
        assertError("m,t=a,t=b f=1", 7, "tag key 't' appears twice");
        assertError("m f", 4, "expected '=' after field key 'f'");
        assertError("m =1", 3, "expected a field key");
        assertError("m f=", 5, "expected a value for field 'f'");
        assertError("m f=,g=1", 5, "expected a value for field 'f'");
        assertError("m f=1,", 7, "expected a field key");
        assertError("m f=1x", 5, "expected a value for field 'f'");
        assertError("m f=\"a\"b", 8, "expected ',', a space or the end of the line after the value of field 'f'");
        assertError("m time=1", 3, "field key 'time' is reserved");
        assertError("m,time=x f=1", 3, "tag key 'time' is reserved");
        assertError("m,t=a\u0001b f=1", 6, "without control characters");
        assertError("m\tx f=1", 2, "without control characters");
    }

    @Test
    void countsColumnsInCharactersNotBytes() {
        LineProtocolError e = bad("🍭,t=🚀 f=");
        assertEquals(9, e.column());
        assertEquals("expected a value for field 'f'", e.message());
    }

    @Test
    void rejectsBytesThatAreNotUtf8() {
        byte[] body = "m,t=\u00ff\u00fe f=1\nm f=2 7".getBytes(StandardCharsets.ISO_8859_1);
        LineProtocol.ParseResult r = LineProtocol.parse(body, Precision.NANOSECONDS, NOW);
        assertEquals(1, r.errors().size());
        assertEquals(1, r.errors().get(0).line());
        assertEquals(5, r.errors().get(0).column());
        assertTrue(r.errors().get(0).message().contains("UTF-8"));
        assertEquals(7, r.points().get(0).time());
    }

    /** What a sink saw, as text: each point with its line, and each error with its line, column and text. */
    private static List<String> seen(byte[] body, int length) {
        List<String> seen = new ArrayList<>();
        LineProtocol.parse(body, length, Precision.NANOSECONDS, NOW, new LineProtocol.Sink() {
            @Override
            public void point(int line, LineProtocol.Series series, LineProtocol.Fields fields, long time) {
                Map<String, FieldValue> values = new LinkedHashMap<>();
                for (int i = 0; i < fields.size(); i++) {
                    values.put(fields.key(i), fields.value(i));
                }
                seen.add(line + " " + series.measurement() + series.tags() + values + " " + time);
            }

            @Override
            public void error(LineProtocolError error) {
                seen.add(error.describe() + " [" + error.text() + "]");
            }
        });
        return seen;
    }

    @Test
    void parsesThePrefixOfABufferAsTheSameBytesInAnArrayOfTheirOwn() {
        // A reused buffer holds an earlier, longer body after this one's end: none of it is read.
        String text = "cpu,host=a usage=1.5,n=3i 10\n\nbad line\r\nmem,host=b free=7 20\ncpu,host=a usage=\"x\" 30";
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        byte[] buffer = java.util.Arrays.copyOf(body, body.length + 64);
        byte[] stale = "\nstale,host=z v=9 99\n".repeat(3).getBytes(StandardCharsets.UTF_8);
        System.arraycopy(stale, 0, buffer, body.length, stale.length);
        for (int length = 0; length <= body.length; length++) {
            byte[] alone = java.util.Arrays.copyOf(body, length);
            int n = length;
            assertEquals(seen(alone, alone.length), seen(buffer, length), () -> "the first " + n + " bytes");
            // And what the array overload returns for the same bytes: its points by line.
            LineProtocol.ParseResult r = LineProtocol.parse(alone, Precision.NANOSECONDS, NOW);
            assertEquals(
                    r.points().size() + r.errors().size(), seen(buffer, length).size());
        }
        List<String> whole = seen(buffer, body.length);
        assertEquals(4, whole.size(), whole::toString);
        assertTrue(whole.get(1).startsWith("line 3, column 9:"), whole::toString);
        assertTrue(whole.get(3).endsWith(" 30"), whole::toString);
        assertThrows(IndexOutOfBoundsException.class, () -> seen(body, body.length + 1));
    }

    @Test
    void parseLineThrowsATypedErrorAndSkipsComments() {
        LineProtocolException e = assertThrows(
                LineProtocolException.class, () -> LineProtocol.parseLine("m f=", Precision.NANOSECONDS, NOW));
        assertEquals(5, e.error().column());
        assertEquals("line 1, column 5: expected a value for field 'f'", e.getMessage());
        assertNull(LineProtocol.parseLine("# nothing", Precision.NANOSECONDS, NOW));
        assertEquals(
                9,
                LineProtocol.parseLine("m f=1 9\r", Precision.NANOSECONDS, NOW).time());
    }

    // ------------------------------------------------------------ series keys

    @Test
    void seriesKeyIsTheMeasurementAndSortedTagsInCanonicalForm() {
        SeriesKey a = one("cpu,region=eu\\ west,host=a f=1").seriesKey();
        SeriesKey b = one("cpu,host=a,region=eu\\ west g=2i").seriesKey();
        assertEquals(a, b);
        assertEquals("cpu,host=a,region=eu\\ west", a.canonical());
        assertEquals(
                "c\\ p\\,u,a\\=b=x\\,y",
                one("c\\ p\\,u,a\\=b=x\\,y f=1").seriesKey().canonical());
        assertTrue(!a.equals(one("cpu,host=b,region=eu\\ west f=1").seriesKey()));
        // Code point order: U+FFFD sorts before U+1F36D, though its UTF-16 char is larger.
        SeriesKey u = one("m,\ud83c\udf6d=1,\ufffd=2 f=1").seriesKey();
        assertEquals("\ufffd", u.tags().get(0).key());
    }

    // ------------------------------------------------------------ writer

    @Test
    void formatWritesEachTypeAndEscapes() {
        Map<String, FieldValue> fields = new HashMap<>();
        fields.put("s", new StringValue("say \"hi\"\\\n"));
        Point p = new Point("my m,x", tags("k=1", "v a,l"), fields, 5_000_000_000L);
        assertEquals("my\\ m\\,x,k\\=1=v\\ a\\,l s=\"say \\\"hi\\\"\\\\\\n\" 5000000000", LineProtocol.format(p));
        assertEquals(
                "my\\ m\\,x,k\\=1=v\\ a\\,l s=\"say \\\"hi\\\"\\\\\\n\" 5", LineProtocol.format(p, Precision.SECONDS));
        assertEquals(
                "m u=18446744073709551615u 1",
                LineProtocol.format(new Point("m", List.of(), Map.of("u", new UnsignedValue(-1)), 1)));
        assertEquals(
                "m b=true 1", LineProtocol.format(new Point("m", List.of(), Map.of("b", new BooleanValue(true)), 1)));
        assertEquals("m i=-3i 1", LineProtocol.format(new Point("m", List.of(), Map.of("i", new IntegerValue(-3)), 1)));
    }

    @Test
    void formatRefusesWhatLineProtocolCannotCarry() {
        Map<String, FieldValue> f = Map.of("f", new FloatValue(1));
        assertThrows(
                IllegalArgumentException.class,
                () -> LineProtocol.format(new Point("m", List.of(), Map.of("f", new FloatValue(Double.NaN)), 1)));
        assertThrows(
                IllegalArgumentException.class,
                () -> LineProtocol.format(
                        new Point("m", List.of(), Map.of("f", new FloatValue(Double.POSITIVE_INFINITY)), 1)));
        assertThrows(IllegalArgumentException.class, () -> LineProtocol.format(new Point("m\\", List.of(), f, 1)));
        assertThrows(IllegalArgumentException.class, () -> LineProtocol.format(new Point("#m", List.of(), f, 1)));
        assertThrows(IllegalArgumentException.class, () -> LineProtocol.format(new Point("m", tags("t", "v\\"), f, 1)));
        assertThrows(
                IllegalArgumentException.class, () -> LineProtocol.format(new Point("m", tags("t", "a\nb"), f, 1)));
        assertThrows(
                IllegalArgumentException.class,
                () -> LineProtocol.format(new Point("m", List.of(), f, 1), Precision.SECONDS));
        assertThrows(
                IllegalArgumentException.class, () -> LineProtocol.format(new Point("m", tags("time", "x"), f, 1)));
    }

    private static final String[] ALPHABET = {
        "a", "b", "Z", "0", "9", "_", "-", ".", " ", ",", "=", "\\", "\"", "'", "#", "é", "🍭", "中", "\ufffd"
    };

    private static String randomName(Random rnd, boolean measurement) {
        while (true) {
            StringBuilder sb = new StringBuilder();
            int len = 1 + rnd.nextInt(8);
            for (int i = 0; i < len; i++) {
                sb.append(ALPHABET[rnd.nextInt(ALPHABET.length)]);
            }
            String s = sb.toString();
            if (s.endsWith("\\") || s.equals("time") || (measurement && s.startsWith("#"))) {
                continue;
            }
            return s;
        }
    }

    private static String randomString(Random rnd) {
        StringBuilder sb = new StringBuilder();
        int len = rnd.nextInt(10);
        for (int i = 0; i < len; i++) {
            int k = rnd.nextInt(ALPHABET.length + 4);
            sb.append(k < ALPHABET.length ? ALPHABET[k] : new String[] {"\n", "\t", "\r", "\\n"}[k - ALPHABET.length]);
        }
        return sb.toString();
    }

    static FieldValue randomValue(Random rnd) {
        return switch (rnd.nextInt(5)) {
            case 0 -> {
                double d =
                        switch (rnd.nextInt(4)) {
                            case 0 -> rnd.nextGaussian() * 1e6;
                            case 1 -> Math.round(rnd.nextDouble() * 1000) / 10.0;
                            case 2 -> Double.longBitsToDouble(rnd.nextLong());
                            default -> rnd.nextInt(3) - 1;
                        };
                yield new FloatValue(Double.isFinite(d) ? d : 0.5);
            }
            case 1 -> new IntegerValue(rnd.nextBoolean() ? rnd.nextLong() : rnd.nextInt(200) - 100);
            case 2 -> new UnsignedValue(rnd.nextBoolean() ? rnd.nextLong() : rnd.nextInt(200));
            case 3 -> new BooleanValue(rnd.nextBoolean());
            default -> new StringValue(randomString(rnd));
        };
    }

    static Point randomPoint(Random rnd) {
        Map<String, String> tagMap = new HashMap<>();
        int nt = rnd.nextInt(4);
        for (int i = 0; i < nt; i++) {
            tagMap.put(randomName(rnd, false), randomName(rnd, false));
        }
        Map<String, FieldValue> fields = new HashMap<>();
        int nf = 1 + rnd.nextInt(4);
        for (int i = 0; i < nf; i++) {
            fields.put(randomName(rnd, false), randomValue(rnd));
        }
        List<Point.Tag> t = new ArrayList<>();
        tagMap.forEach((k, v) -> t.add(new Point.Tag(k, v)));
        long time =
                switch (rnd.nextInt(3)) {
                    case 0 -> rnd.nextLong(LineProtocol.MIN_TIME, LineProtocol.MAX_TIME);
                    case 1 -> 1_700_000_000_000_000_000L + rnd.nextInt(1000) * 1_000_000_000L;
                    default -> rnd.nextInt(1000) - 500;
                };
        return new Point(randomName(rnd, true), t, fields, time);
    }

    @Test
    void randomPointsRoundTripThroughTheWriter() {
        Seeded.run("line protocol round trip", rnd -> {
            List<Point> points = new ArrayList<>();
            for (int i = 0; i < 2000; i++) {
                Point p = randomPoint(rnd);
                points.add(p);
                String line = LineProtocol.format(p);
                Point back = LineProtocol.parseLine(line, Precision.NANOSECONDS, NOW);
                assertEquals(p, back, () -> "line: " + line);
                assertEquals(p.seriesKey().canonical(), back.seriesKey().canonical());
            }
            String body = LineProtocol.format(points, Precision.NANOSECONDS);
            LineProtocol.ParseResult r = LineProtocol.parse(body, Precision.NANOSECONDS, NOW);
            assertTrue(r.ok(), () -> r.errors().toString());
            assertEquals(points, r.points());
        });
    }

    @Test
    void canonicalSeriesKeysReadBackAsTheSameSeries() {
        Seeded.run("series key round trip", rnd -> {
            for (int i = 0; i < 1000; i++) {
                Point p = randomPoint(rnd);
                String canonical = p.seriesKey().canonical();
                Point back = LineProtocol.parseLine(canonical + " f=1", Precision.NANOSECONDS, NOW);
                assertEquals(p.seriesKey(), back.seriesKey(), canonical);
            }
        });
    }
}
