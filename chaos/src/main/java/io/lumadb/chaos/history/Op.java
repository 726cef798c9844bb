package io.lumadb.chaos.history;

import java.util.Objects;

/**
 * One client operation of a chaos run, from the moment the client invoked it to the moment it
 * learned the outcome (or gave up). Times are nanoseconds since the run started, on one clock.
 *
 * <p>What {@code value}, {@code expected} and {@code version} mean depends on the type:
 *
 * <ul>
 *   <li>{@link Type#READ}: {@code value} is the register's value read, null when the document
 *       did not exist; {@code version} its {@code _version}.
 *   <li>{@link Type#WRITE}: a blind write of {@code value}; {@code version} the version it was
 *       acknowledged at.
 *   <li>{@link Type#CAS}: a write of {@code value} only if the register still holds {@code
 *       expected} (sent as {@code If-Match} on the version the client read {@code expected} at;
 *       each written value is unique, so version and value name the same state).
 *   <li>{@link Type#INSERT}: a new document {@code key} of the set workload, {@code value} its
 *       element; {@code version} the acknowledged version.
 * </ul>
 *
 * @param index unique in a history, in the order operations were invoked
 * @param process the client that ran it; a client runs one operation at a time
 * @param node the node the request was sent to
 * @param type what the operation was
 * @param key the register's key, or the inserted document's id
 * @param value see above
 * @param expected for {@link Type#CAS}: the value the write is conditional on; else null
 * @param version see above; null when there is none
 * @param invokedNanos when the client sent it
 * @param completedNanos when the client learned the outcome, or gave up
 * @param outcome {@link Outcome#OK}: it happened; {@link Outcome#FAIL}: it certainly did not;
 *     {@link Outcome#UNKNOWN}: it may have happened, at any time after it was invoked
 * @param detail the HTTP status or the error, for people reading the history
 */
public record Op(
        long index,
        int process,
        String node,
        Type type,
        String key,
        Long value,
        Long expected,
        Long version,
        long invokedNanos,
        long completedNanos,
        Outcome outcome,
        String detail) {

    /** What an operation does. */
    public enum Type {
        READ,
        WRITE,
        CAS,
        INSERT
    }

    /** What the client learned of it. */
    public enum Outcome {
        OK,
        FAIL,
        UNKNOWN
    }

    public Op {
        Objects.requireNonNull(node, "node");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(outcome, "outcome");
        if (completedNanos < invokedNanos) {
            throw new IllegalArgumentException(
                    "completedNanos " + completedNanos + " is before invokedNanos " + invokedNanos);
        }
        if (type == Type.CAS && expected == null) {
            throw new IllegalArgumentException("a CAS needs the value it expects (expected is null)");
        }
        detail = detail == null ? "" : detail;
    }

    /** Whether the operation may have changed the register or the set. */
    public boolean mayWrite() {
        return type != Type.READ && outcome != Outcome.FAIL;
    }

    @Override
    public String toString() {
        String what =
                switch (type) {
                    case READ -> "read " + key + " -> " + value;
                    case WRITE -> "write " + key + " := " + value;
                    case CAS -> "cas " + key + " " + expected + " -> " + value;
                    case INSERT -> "insert " + key;
                };
        return "#" + index + " p" + process + "@" + node + " " + what + " " + outcome + " ["
                + invokedNanos / 1_000_000 + ".." + completedNanos / 1_000_000 + " ms]"
                + (detail.isEmpty() ? "" : " " + detail);
    }
}
