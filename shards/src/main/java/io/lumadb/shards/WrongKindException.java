package io.lumadb.shards;

/**
 * A request for documents (reads, writes, queries, indexes) to a collection of another kind: a
 * time-series collection holds points, written and read through the time-series API.
 */
public final class WrongKindException extends RuntimeException {

    public WrongKindException(String database, String collection) {
        super(
                "collection " + database + "/" + collection + " holds time series, not documents: write points with"
                        + " POST /api/v2/write or /api/v1/" + database + "/" + collection + "/_points and read them"
                        + " with /api/v1/" + database + "/" + collection + "/_tsquery",
                null,
                false,
                false);
    }
}
