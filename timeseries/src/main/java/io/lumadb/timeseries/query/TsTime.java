package io.lumadb.timeseries.query;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoField;
import java.util.concurrent.TimeUnit;

/**
 * RFC 3339 timestamps to and from nanoseconds since the epoch. Reading takes any offset and up to
 * nine fraction digits; writing gives UTC with the fraction's trailing zeros dropped, as InfluxDB's
 * RFC3339Nano does ({@code 2026-12-01T00:00:01.5Z}, {@code 2026-12-01T00:00:00Z}).
 */
public final class TsTime {
    private static final long NANOS = 1_000_000_000L;

    private static final DateTimeFormatter RFC_3339 = new DateTimeFormatterBuilder()
            .parseCaseInsensitive()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .appendLiteral('T')
            .appendValue(ChronoField.HOUR_OF_DAY, 2)
            .appendLiteral(':')
            .appendValue(ChronoField.MINUTE_OF_HOUR, 2)
            .appendLiteral(':')
            .appendValue(ChronoField.SECOND_OF_MINUTE, 2)
            .optionalStart()
            .appendFraction(ChronoField.NANO_OF_SECOND, 1, 9, true)
            .optionalEnd()
            .appendOffset("+HH:MM", "Z")
            .toFormatter()
            .withResolverStyle(ResolverStyle.STRICT);

    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss");

    private TsTime() {}

    /**
     * The nanoseconds of an RFC 3339 timestamp.
     *
     * @throws IllegalArgumentException when the text is no RFC 3339 timestamp or lies outside what
     *     64-bit nanoseconds hold (1677-09-21 to 2262-04-11)
     */
    static long parse(String text) {
        Instant instant;
        try {
            instant = RFC_3339.parse(text, Instant::from);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("'" + text + "' is not an RFC 3339 timestamp like 2026-12-01T00:00:00Z");
        }
        try {
            return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), NANOS), instant.getNano());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(
                    "'" + text + "' is outside the nanosecond time range (1677-09-21 to 2262-04-11)");
        }
    }

    /** The RFC 3339 text of {@code nanos} in UTC, with as many fraction digits as needed. */
    public static String format(long nanos) {
        long seconds = Math.floorDiv(nanos, NANOS);
        int fraction = (int) Math.floorMod(nanos, NANOS);
        StringBuilder sb = new StringBuilder(30);
        sb.append(SECONDS.format(LocalDateTime.ofEpochSecond(seconds, 0, ZoneOffset.UTC)));
        if (fraction != 0) {
            String digits = Integer.toString(1_000_000_000 + fraction).substring(1);
            int end = digits.length();
            while (digits.charAt(end - 1) == '0') {
                end--;
            }
            sb.append('.').append(digits, 0, end);
        }
        return sb.append('Z').toString();
    }

    /** A duration as the options write it: in the largest unit that writes {@code nanos} exactly ({@code 1m}, {@code 90s}). */
    public static String duration(long nanos) {
        String[] units = {"w", "d", "h", "m", "s", "ms", "us"};
        long[] sizes = {
            TimeUnit.DAYS.toNanos(7),
            TimeUnit.DAYS.toNanos(1),
            TimeUnit.HOURS.toNanos(1),
            TimeUnit.MINUTES.toNanos(1),
            TimeUnit.SECONDS.toNanos(1),
            1_000_000,
            1_000
        };
        for (int i = 0; i < units.length; i++) {
            if (nanos % sizes[i] == 0 && nanos / sizes[i] < 1_000_000_000L) {
                return nanos / sizes[i] + units[i];
            }
        }
        return nanos + "ns";
    }
}
