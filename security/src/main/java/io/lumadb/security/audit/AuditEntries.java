package io.lumadb.security.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.shards.model.DocumentJson;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * How audit events become documents of {@code system/audit} on one node: a time-ordered unique
 * id and the entry's JSON.
 *
 * <p>An id is {@code <epoch millis, 13 digits>-<node>-<counter, 4 digits>}, e.g. {@code
 * 1767225600123-10.0.0.7-25520-0000}. The millis never go back on one node (a clock stepped back
 * keeps the last value) and the counter orders entries of the same millisecond (past 9999 the
 * millis move on by one), so ids sort by time in the UTF-8 byte order that {@code _docs} pages
 * in, and the oldest entries are always the first page: retention deletes by id prefix.
 *
 * <p>An entry: {@code time} (ISO-8601 UTC with milliseconds), {@code timeMillis}, {@code kind},
 * {@code outcome}, {@code principal} ({@code name}, {@code kind}, and {@code key} for an API
 * key; null when none could be named), {@code client} (the client's IP address or null), {@code
 * node}, and {@code details}.
 */
public final class AuditEntries {

    /** ISO-8601 in UTC, always with three digits of milliseconds. */
    private static final DateTimeFormatter ISO_MILLIS =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    /** Digits of the millis part of an id: enough until the year 2286. */
    static final int MILLIS_DIGITS = 13;

    private final String node;
    private final String idNode;
    private long lastMillis;
    private int counter;

    /** @param node this node's name (host:port of its cluster address) */
    public AuditEntries(String node) {
        this.node = node;
        this.idNode = node.replaceAll("[^A-Za-z0-9.]", "-");
    }

    /** The next id for an event at {@code timeMillis}: greater than every id this node made before. */
    public synchronized String nextId(long timeMillis) {
        if (timeMillis > lastMillis) {
            lastMillis = timeMillis;
            counter = 0;
        } else if (++counter > 9999) {
            lastMillis++;
            counter = 0;
        }
        return String.format("%0" + MILLIS_DIGITS + "d-%s-%04d", lastMillis, idNode, counter);
    }

    /** The first id that sorts after every id of events before {@code timeMillis}, on any node. */
    public static String firstIdAt(long timeMillis) {
        return String.format("%0" + MILLIS_DIGITS + "d", timeMillis);
    }

    /** The millis an id starts with, if it is an audit id. */
    public static Optional<Long> millisOf(String id) {
        if (id.length() <= MILLIS_DIGITS || id.charAt(MILLIS_DIGITS) != '-') {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(id.substring(0, MILLIS_DIGITS)));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The entry's JSON object (the document without {@code _id} and {@code _version}). */
    public ObjectNode json(AuditEvent event) {
        ObjectNode doc = DocumentJson.mapper().createObjectNode();
        doc.put("time", ISO_MILLIS.format(Instant.ofEpochMilli(event.timeMillis())));
        doc.put("timeMillis", event.timeMillis());
        doc.put("kind", event.kind().jsonName());
        doc.put("outcome", event.kind().outcome());
        if (event.who() == null) {
            doc.putNull("principal");
        } else {
            ObjectNode who = doc.putObject("principal");
            who.put("name", event.who().name());
            who.put("kind", event.who().kind());
            if (event.who().keyId() != null) {
                who.put("key", event.who().keyId());
            }
        }
        doc.put("client", event.client());
        doc.put("node", node);
        doc.set("details", DocumentJson.mapper().valueToTree(event.details()));
        return doc;
    }

    /** The entry as the bytes a document write takes. */
    public byte[] bytes(AuditEvent event) {
        try {
            return DocumentJson.mapper().writeValueAsBytes(json(event));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("an audit entry is plain JSON: " + event.summary(), e);
        }
    }
}
