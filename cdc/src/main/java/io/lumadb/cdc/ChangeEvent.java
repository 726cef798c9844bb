package io.lumadb.cdc;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.query.RowAccess;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * One document change as the change stream delivers it. Built once per change and shared by
 * every subscriber: the parsed documents (for filters) and the rendered envelope are cached, so
 * fan-out to many subscribers parses and renders each change once.
 *
 * <p>The envelope follows Debezium's field names: {@code op} ({@code c}, {@code u}, {@code d}),
 * {@code before}, {@code after}, {@code source} (database, collection, shard, sequence number,
 * index within the shard event, document id and version, commit time) and {@code ts_ms}; LumaDB
 * adds {@code token}, the position right after this change.
 */
public final class ChangeEvent {

    private final String database;
    private final String collection;
    private final int shard;
    private final long seq;
    private final int index;
    private final int changesInEvent;
    private final long committedAtMillis;
    private final DocumentChange change;
    private volatile JsonNode afterNode;
    private volatile JsonNode beforeNode;
    private volatile byte[] withBefore;
    private volatile byte[] withoutBefore;

    ChangeEvent(
            String database,
            String collection,
            int shard,
            long seq,
            int index,
            int changesInEvent,
            long committedAtMillis,
            DocumentChange change) {
        this.database = database;
        this.collection = collection;
        this.shard = shard;
        this.seq = seq;
        this.index = index;
        this.changesInEvent = changesInEvent;
        this.committedAtMillis = committedAtMillis;
        this.change = change;
    }

    public int shard() {
        return shard;
    }

    /** The shard event's sequence number. */
    public long seq() {
        return seq;
    }

    /** The position of this change within its shard event. */
    public int index() {
        return index;
    }

    /** Whether this is the last change of its shard event. */
    public boolean lastInEvent() {
        return index == changesInEvent - 1;
    }

    public String id() {
        return change.id();
    }

    public long version() {
        return change.version();
    }

    public DocumentChange.Op op() {
        return change.op();
    }

    public long committedAtMillis() {
        return committedAtMillis;
    }

    /** The document after the change (null for a delete), parsed once. */
    public JsonNode after() {
        JsonNode node = afterNode;
        if (node == null && change.document() != null) {
            node = parse(change.document());
            afterNode = node;
        }
        return node;
    }

    /** The document before the change (null for a create, or when not recorded), parsed once. */
    public JsonNode before() {
        JsonNode node = beforeNode;
        if (node == null && change.before() != null) {
            node = parse(change.before());
            beforeNode = node;
        }
        return node;
    }

    /** Whether the change carries its pre-image. */
    public boolean hasBefore() {
        return change.before() != null;
    }

    public byte[] afterJson() {
        return change.document();
    }

    public byte[] beforeJson() {
        return change.before();
    }

    private static JsonNode parse(byte[] json) {
        try {
            return DocumentJson.mapper().readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("stored document is not JSON", e);
        }
    }

    /**
     * This change as a caller with {@code access} sees it: a document entering its view is a
     * create, one leaving it a delete (with the pre-image as its before), a change it cannot see
     * on either side is null (not delivered, so a delete of a document the caller never saw is
     * never sent), and hidden fields are gone from both images. A change without a recorded
     * pre-image counts as unseen before. The same instance when nothing is restricted.
     */
    public ChangeEvent seenThrough(RowAccess access) {
        if (access.unrestricted()) {
            return this;
        }
        boolean seenBefore = hasBefore() && access.sees(before());
        boolean seenAfter = change.document() != null && access.sees(after());
        DocumentChange.Op op;
        if (seenBefore && seenAfter) {
            op = DocumentChange.Op.UPDATED;
        } else if (seenAfter) {
            op = DocumentChange.Op.CREATED;
        } else if (seenBefore) {
            op = DocumentChange.Op.DELETED;
        } else {
            return null;
        }
        byte[] after = seenAfter ? access.strip(change.document()) : null;
        byte[] prior = seenBefore ? access.strip(change.before()) : null;
        if (op == change.op() && after == change.document() && prior == change.before()) {
            return this;
        }
        return withChange(new DocumentChange(change.id(), op, change.version(), after, prior));
    }

    /** This change with {@code access}'s hidden fields removed from both images, as it is otherwise. */
    public ChangeEvent stripped(RowAccess access) {
        if (access.hiddenFields().isEmpty()) {
            return this;
        }
        return withChange(new DocumentChange(
                change.id(),
                change.op(),
                change.version(),
                access.strip(change.document()),
                access.strip(change.before())));
    }

    private ChangeEvent withChange(DocumentChange seen) {
        return new ChangeEvent(database, collection, shard, seq, index, changesInEvent, committedAtMillis, seen);
    }

    /** The envelope as one line of JSON (no newline), with {@code token} as its last field. */
    public byte[] envelope(boolean includeBefore, String token) {
        byte[] prefix = includeBefore ? withBefore : withoutBefore;
        if (prefix == null) {
            prefix = render(includeBefore);
            if (includeBefore) {
                withBefore = prefix;
            } else {
                withoutBefore = prefix;
            }
        }
        byte[] tail = (",\"token\":\"" + token + "\"}").getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[prefix.length + tail.length];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(tail, 0, out, prefix.length, tail.length);
        return out;
    }

    private byte[] render(boolean includeBefore) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256
                + (change.document() == null ? 0 : change.document().length)
                + (includeBefore && change.before() != null ? change.before().length : 0));
        try (JsonGenerator g = DocumentJson.mapper().getFactory().createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField(
                    "op",
                    switch (change.op()) {
                        case CREATED -> "c";
                        case UPDATED -> "u";
                        case DELETED -> "d";
                    });
            g.writeFieldName("before");
            if (includeBefore && change.before() != null) {
                g.writeRawValue(new String(change.before(), StandardCharsets.UTF_8));
            } else {
                g.writeNull();
            }
            g.writeFieldName("after");
            if (change.document() != null) {
                g.writeRawValue(new String(change.document(), StandardCharsets.UTF_8));
            } else {
                g.writeNull();
            }
            g.writeObjectFieldStart("source");
            g.writeStringField("connector", "lumadb");
            g.writeStringField("db", database);
            g.writeStringField("collection", collection);
            g.writeNumberField("shard", shard);
            g.writeNumberField("seq", seq);
            g.writeNumberField("index", index);
            g.writeStringField("id", change.id());
            g.writeNumberField("version", change.version());
            g.writeNumberField("ts_ms", committedAtMillis);
            g.writeEndObject();
            g.writeNumberField("ts_ms", System.currentTimeMillis());
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        byte[] closed = out.toByteArray();
        // Drop the closing brace: the token follows.
        return java.util.Arrays.copyOf(closed, closed.length - 1);
    }
}
