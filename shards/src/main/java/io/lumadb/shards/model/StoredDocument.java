package io.lumadb.shards.model;

import java.nio.charset.StandardCharsets;

/**
 * A document as stored: its id, its version and its JSON text (UTF-8), which always starts
 * with the {@code _id} and {@code _version} fields. The byte array is never modified.
 */
public record StoredDocument(String id, long version, byte[] json) {
    public StoredDocument {
        if (version < 1) {
            throw new IllegalArgumentException("version must be >= 1, was " + version);
        }
    }

    @Override
    public String toString() {
        return "StoredDocument[" + id + "@" + version + " " + new String(json, StandardCharsets.UTF_8) + "]";
    }
}
