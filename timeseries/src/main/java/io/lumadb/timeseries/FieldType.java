package io.lumadb.timeseries;

/**
 * The type of a time-series field, as line protocol writes it. The {@link #code()} is the byte a
 * {@link TimeBlock} stores for the field's column; it never changes once released.
 */
public enum FieldType {
    /** 64-bit IEEE 754 float; line protocol's default numeric type ({@code 1.5}, {@code 1}). */
    FLOAT(1),
    /** Signed 64-bit integer ({@code 1i}). */
    INTEGER(2),
    /** Unsigned 64-bit integer ({@code 1u}), held in a {@code long}'s bits. */
    UNSIGNED(3),
    /** Boolean ({@code t}, {@code true}, ...). */
    BOOLEAN(4),
    /** UTF-8 string ({@code "text"}). */
    STRING(5);

    private final int code;

    FieldType(int code) {
        this.code = code;
    }

    /** The byte that stands for this type in a stored block. */
    public int code() {
        return code;
    }

    /** The type stored as {@code code}, or a {@link TimeBlockException} for an unknown code. */
    public static FieldType ofCode(int code) {
        for (FieldType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new TimeBlockException("unknown field type code " + code);
    }

    /** Whether values of this type are numbers (windows aggregate them). */
    public boolean numeric() {
        return this == FLOAT || this == INTEGER || this == UNSIGNED;
    }
}
