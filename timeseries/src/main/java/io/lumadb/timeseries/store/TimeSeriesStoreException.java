package io.lumadb.timeseries.store;

/** A failure of a time-series store's storage, naming the store and, where known, the key. */
public final class TimeSeriesStoreException extends RuntimeException {
    public TimeSeriesStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public TimeSeriesStoreException(String message) {
        super(message);
    }
}
