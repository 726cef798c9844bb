package io.lumadb.timeseries;

/** A single line that is not valid line protocol; {@link #error()} says where and why. */
public final class LineProtocolException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient LineProtocolError error;

    public LineProtocolException(LineProtocolError error) {
        super(error.describe());
        this.error = error;
    }

    /** The line, column and message of the fault. */
    public LineProtocolError error() {
        return error;
    }
}
