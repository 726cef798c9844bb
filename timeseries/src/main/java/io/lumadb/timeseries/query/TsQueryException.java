package io.lumadb.timeseries.query;

/**
 * A {@code _tsquery} request that cannot be run: the JSON pointer of the offending member (such as
 * {@code /window} or {@code /tags/region/$in/1}; empty for the whole body) and a sentence saying
 * what was expected. The HTTP layer maps it to a 400 problem with the pointer as the bad field.
 */
public final class TsQueryException extends RuntimeException {
    private final String pointer;

    public TsQueryException(String pointer, String message) {
        super(message);
        if (pointer == null) {
            throw new IllegalArgumentException("pointer must not be null (use \"\" for the whole body)");
        }
        this.pointer = pointer;
    }

    /** The JSON pointer (RFC 6901) of the member at fault; empty for the body itself. */
    public String pointer() {
        return pointer;
    }

    /** Escapes one member name for a JSON pointer ({@code ~} → {@code ~0}, {@code /} → {@code ~1}). */
    static String escape(String name) {
        return name.replace("~", "~0").replace("/", "~1");
    }
}
