package io.lumadb.timeseries;

/**
 * A time block that cannot be built or read: a corrupt or truncated encoding (bad magic, version
 * or checksum), or points whose field changes type within one series.
 */
public final class TimeBlockException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TimeBlockException(String message) {
        super(message);
    }
}
