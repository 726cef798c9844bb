package io.lumadb.timeseries;

import java.util.List;

/**
 * The identity of a series: a measurement and its tag set. Its canonical form is the line-protocol
 * text of the measurement and the tags sorted by key in code point order, escaped as line protocol
 * escapes them: {@code cpu,host=a,region=eu\ west}. Two points belong to the same series exactly
 * when their canonical forms are equal, whatever order their tags were written in.
 *
 * @param measurement the measurement name
 * @param tags the tag set, sorted by key
 */
public record SeriesKey(String measurement, List<Point.Tag> tags) {

    public SeriesKey {
        if (measurement == null || measurement.isEmpty()) {
            throw new IllegalArgumentException("measurement must not be empty");
        }
        tags = List.copyOf(tags.stream().sorted(Point.TAG_ORDER).toList());
    }

    /** The canonical text form (see the class documentation). */
    public String canonical() {
        StringBuilder sb = new StringBuilder(measurement.length() + 16 * tags.size());
        LineProtocol.escapeMeasurement(measurement, sb);
        for (Point.Tag t : tags) {
            sb.append(',');
            LineProtocol.escapeKey(t.key(), sb);
            sb.append('=');
            LineProtocol.escapeKey(t.value(), sb);
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return canonical();
    }

    /** Compares two strings by Unicode code point, which is the order of their UTF-8 bytes. */
    public static int compareCodePoints(String a, String b) {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) {
                return Integer.compare(ca, cb);
            }
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    }
}
