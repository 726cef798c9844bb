package io.lumadb.shards;

/** A database or collection that does not exist. */
public final class NotFoundException extends RuntimeException {
    private final String kind;
    private final String name;

    public NotFoundException(String kind, String name) {
        super(kind + " '" + name + "' does not exist");
        this.kind = kind;
        this.name = name;
    }

    /** {@code database} or {@code collection}. */
    public String kind() {
        return kind;
    }

    public String name() {
        return name;
    }
}
