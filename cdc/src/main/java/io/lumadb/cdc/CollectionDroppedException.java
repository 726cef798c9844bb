package io.lumadb.cdc;

/**
 * A resume token of a collection that was dropped: the collection of that name now is a newer
 * one (created again after the drop), so the token's history is gone for good. {@code pointer}
 * names the request field that carried the token.
 */
public final class CollectionDroppedException extends RuntimeException {

    private final String pointer;

    public CollectionDroppedException(String database, String collection, String pointer) {
        super("the resume token is of a collection " + database + "/" + collection
                + " that was dropped (or of another collection created before this one); its changes are gone."
                + " Start again with from=beginning or from=now");
        this.pointer = pointer;
    }

    public String pointer() {
        return pointer;
    }
}
