package io.lumadb.timeseries;

/**
 * A line of a line-protocol body that could not be read: where (1-based line and column, the
 * column counted in Unicode code points from the start of the line) and what was expected there.
 *
 * @param line the 1-based line number in the body
 * @param column the 1-based column of the offending character (one past the end for a line that
 *     ended too soon)
 * @param message what is wrong and what was expected, e.g. {@code expected '=' after field key
 *     'value'}
 * @param text the offending line, cut to at most {@value #MAX_TEXT} characters
 */
public record LineProtocolError(int line, int column, String message, String text) {

    /** The longest excerpt of a bad line an error carries. */
    public static final int MAX_TEXT = 200;

    public LineProtocolError {
        if (line < 1) {
            throw new IllegalArgumentException("line must be >= 1, got " + line);
        }
        if (column < 1) {
            throw new IllegalArgumentException("column must be >= 1, got " + column);
        }
        if (text.length() > MAX_TEXT) {
            text = text.substring(0, MAX_TEXT);
        }
    }

    /** {@code line 3, column 17: expected ...}, the form InfluxDB clients show to people. */
    public String describe() {
        return "line " + line + ", column " + column + ": " + message;
    }
}
