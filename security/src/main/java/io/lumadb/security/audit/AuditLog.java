package io.lumadb.security.audit;

/**
 * Where a node's audit events go. {@link #record} never blocks and never fails the caller: an
 * implementation queues the event and writes it later ({@link AuditWriter}).
 *
 * <p>The log is the collection {@value #DATABASE}/{@value #COLLECTION}: admins read, query and
 * subscribe to it like any other collection, and nobody may change it through the API (see
 * {@link io.lumadb.security.SecurityState#allows}).
 */
@FunctionalInterface
public interface AuditLog {

    /** The database of the audit log; reserved for the node itself. */
    String DATABASE = "system";

    /** The collection of the audit log in {@link #DATABASE}. */
    String COLLECTION = "audit";

    /** Takes one event; returns at once. */
    void record(AuditEvent event);

    /** Records nothing: security is off, or the audit log is switched off. */
    AuditLog NONE = event -> {};
}
