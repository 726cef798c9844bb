package io.lumadb.timeseries.store;

import java.util.List;

/**
 * What {@link TimeSeriesStore#write} did with a batch.
 *
 * @param applied false when the batch's sequence number was already applied (a replay): nothing
 *     was written and the other components are zero
 * @param pointsWritten points stored (duplicates of one timestamp count each)
 * @param errors the points not stored, in batch order
 * @param blocksSealed blocks sealed by this batch, because its newest time passed their end plus
 *     the lateness, or because it brought late points into a sealed block (rebuilt)
 */
public record WriteResult(boolean applied, int pointsWritten, List<PointError> errors, int blocksSealed) {

    public WriteResult {
        errors = List.copyOf(errors);
    }

    /** The result of a batch that was already applied. */
    public static WriteResult skipped() {
        return new WriteResult(false, 0, List.of(), 0);
    }
}
