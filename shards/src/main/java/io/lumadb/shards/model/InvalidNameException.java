package io.lumadb.shards.model;

/** A database, collection or document name that breaks the rules of {@link Names}. */
public final class InvalidNameException extends IllegalArgumentException {
    private final String field;
    private final String value;

    public InvalidNameException(String field, String value, String reason) {
        super(field + " '" + value + "' is invalid: " + reason);
        this.field = field;
        this.value = value;
    }

    /** Which name was wrong: {@code database}, {@code collection} or {@code _id}. */
    public String field() {
        return field;
    }

    public String value() {
        return value;
    }
}
