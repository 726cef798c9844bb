package io.lumadb.timeseries.store;

import io.lumadb.timeseries.FieldType;

/**
 * Why one point of a written batch was not stored; the batch's other points were.
 *
 * @param index the point's position in the batch, from 0
 * @param kind what was wrong
 * @param field for {@link Kind#FIELD_TYPE_CONFLICT}, the field; null otherwise
 * @param storedType for {@link Kind#FIELD_TYPE_CONFLICT}, the field's type in the series
 * @param givenType for {@link Kind#FIELD_TYPE_CONFLICT}, the type the point gave it
 * @param message a sentence for the caller's error report
 */
public record PointError(
        int index, Kind kind, String field, FieldType storedType, FieldType givenType, String message) {

    /** The kinds of per-point errors. */
    public enum Kind {
        /** A field has another type than the series already gave it (a series' field keeps its type). */
        FIELD_TYPE_CONFLICT,
        /** The point is older than what retention has already dropped. */
        BEFORE_RETENTION,
        /** The point's block would start before the earliest representable time. */
        TIME_OUT_OF_RANGE
    }
}
