package io.lumadb.timeseries;

/**
 * The unit of the timestamps in a line-protocol body, as InfluxDB's {@code precision} parameter
 * names it. LumaDB keeps every timestamp in nanoseconds since the Unix epoch; a precision says how
 * to scale the written number up to that.
 */
public enum Precision {
    NANOSECONDS("ns", 1L),
    MICROSECONDS("us", 1_000L),
    MILLISECONDS("ms", 1_000_000L),
    SECONDS("s", 1_000_000_000L),
    /** InfluxDB v1 only. */
    MINUTES("m", 60_000_000_000L),
    /** InfluxDB v1 only. */
    HOURS("h", 3_600_000_000_000L);

    private final String symbol;
    private final long nanos;

    Precision(String symbol, long nanos) {
        this.symbol = symbol;
        this.nanos = nanos;
    }

    /** The name InfluxDB's API uses: {@code ns}, {@code us}, {@code ms} or {@code s}. */
    public String symbol() {
        return symbol;
    }

    /** Nanoseconds in one unit of this precision. */
    public long nanos() {
        return nanos;
    }

    /**
     * The precision named {@code symbol}: {@code ns}, {@code us}, {@code ms}, {@code s}, and also
     * InfluxDB v1's {@code n}, {@code u} (and {@code µ}), {@code m} and {@code h}.
     *
     * @throws IllegalArgumentException naming the symbol when it is none of these
     */
    public static Precision of(String symbol) {
        return switch (symbol) {
            case "ns", "n" -> NANOSECONDS;
            case "us", "u", "µ", "µs" -> MICROSECONDS;
            case "ms" -> MILLISECONDS;
            case "s" -> SECONDS;
            case "m" -> MINUTES;
            case "h" -> HOURS;
            default ->
                throw new IllegalArgumentException(
                        "precision must be one of ns, us, ms, s (v1 also n, u, m, h); got '" + symbol + "'");
        };
    }
}
