package io.lumadb.node;

import com.typesafe.config.Config;
import io.lumadb.persistence.crypto.SealedMessageFormat;
import io.lumadb.persistence.crypto.SealingSerializer;
import io.lumadb.persistence.crypto.SealingSerializer.Stored;
import io.lumadb.persistence.crypto.ValueCipher;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongPredicate;

/**
 * The re-encryption of cluster mode's journal and snapshots in PostgreSQL (the tables of {@code
 * lumadb-postgres-schema.sql}): rewrites, in batches, every row whose message is sealed under an
 * older key, or is in clear and of a type LumaDB seals ({@link SealingSerializer#reseal}), to the
 * active key. Only the serializer id, manifest and payload of a row change; orderings, tags and
 * sequence numbers stay.
 *
 * <p>Every node runs it after start, possibly at the same time. Each update names the row's
 * current serializer id, manifest and bytes as a precondition, so a row that another node
 * rewrote (or deleted) meanwhile is left alone, and a second pass finds nothing to do. Rows are
 * read one at a time, since a snapshot may hold a whole shard.
 */
final class PostgresReencryption {

    /** Bytes 3 and 4 of a sealed payload (SQL counts from 1): the envelope's key id. */
    private static final String KEY_ID_BYTES = "substring(%s from 3 for 2)";

    private final Config config;
    private final SealingSerializer sealing;
    private final ValueCipher cipher;

    /**
     * @param config the node's configuration (for the journal's URL and credentials)
     * @param sealing the node's sealing serializer
     * @param cipher the node's cipher, whose active key the rows move to
     */
    PostgresReencryption(Config config, SealingSerializer sealing, ValueCipher cipher) {
        this.config = config;
        this.sealing = sealing;
        this.cipher = cipher;
    }

    /** The pass over {@code event_journal}, in the order of {@code ordering}. */
    long journal(int batchSize, LongPredicate afterBatch) {
        String candidates = "SELECT ordering, persistence_id, sequence_number FROM event_journal"
                + " WHERE ordering > ? AND " + stale("event_ser_id", "event_payload")
                + " ORDER BY ordering LIMIT ?";
        String read = "SELECT event_ser_id, event_ser_manifest, event_payload FROM event_journal"
                + " WHERE persistence_id = ? AND sequence_number = ?";
        String update = "UPDATE event_journal SET event_ser_id = ?, event_ser_manifest = ?, event_payload = ?"
                + " WHERE persistence_id = ? AND sequence_number = ?"
                + " AND event_ser_id = ? AND event_ser_manifest = ? AND event_payload = ?";
        return run(
                batchSize,
                afterBatch,
                (c, after) -> {
                    try (PreparedStatement s = c.prepareStatement(candidates)) {
                        s.setLong(1, after == null ? Long.MIN_VALUE : after.ordering());
                        bindStale(s, 2);
                        s.setInt(4, batchSize);
                        List<Key> keys = new ArrayList<>();
                        try (ResultSet rows = s.executeQuery()) {
                            while (rows.next()) {
                                keys.add(new Key(rows.getLong(1), rows.getString(2), rows.getLong(3)));
                            }
                        }
                        return keys;
                    }
                },
                read,
                update);
    }

    /** The pass over {@code snapshot}, in the order of its key. */
    long snapshots(int batchSize, LongPredicate afterBatch) {
        String candidates = "SELECT persistence_id, sequence_number FROM snapshot"
                + " WHERE (persistence_id, sequence_number) > (?, ?) AND "
                + stale("snapshot_ser_id", "snapshot_payload")
                + " ORDER BY persistence_id, sequence_number LIMIT ?";
        String read = "SELECT snapshot_ser_id, snapshot_ser_manifest, snapshot_payload FROM snapshot"
                + " WHERE persistence_id = ? AND sequence_number = ?";
        String update = "UPDATE snapshot SET snapshot_ser_id = ?, snapshot_ser_manifest = ?, snapshot_payload = ?"
                + " WHERE persistence_id = ? AND sequence_number = ?"
                + " AND snapshot_ser_id = ? AND snapshot_ser_manifest = ? AND snapshot_payload = ?";
        return run(
                batchSize,
                afterBatch,
                (c, after) -> {
                    try (PreparedStatement s = c.prepareStatement(candidates)) {
                        s.setString(1, after == null ? "" : after.persistenceId());
                        s.setLong(2, after == null ? Long.MIN_VALUE : after.sequenceNr());
                        bindStale(s, 3);
                        s.setInt(5, batchSize);
                        List<Key> keys = new ArrayList<>();
                        try (ResultSet rows = s.executeQuery()) {
                            while (rows.next()) {
                                keys.add(new Key(0, rows.getString(1), rows.getLong(2)));
                            }
                        }
                        return keys;
                    }
                },
                read,
                update);
    }

    /** A row: its ordering (journal only), persistence id and sequence number. */
    private record Key(long ordering, String persistenceId, long sequenceNr) {}

    @FunctionalInterface
    private interface Candidates {
        /** The next batch of rows that may need a rewrite, after {@code after} (null: from the start). */
        List<Key> next(Connection c, Key after) throws SQLException;
    }

    /**
     * The filter that skips rows sealed under the active key already: those of the sealing
     * serializer whose key id is the active one. Rows in clear all pass; {@link
     * SealingSerializer#reseal} tells which of them to seal.
     */
    private static String stale(String serIdColumn, String payloadColumn) {
        return "(" + serIdColumn + " <> ? OR " + KEY_ID_BYTES.formatted(payloadColumn) + " <> ?)";
    }

    private void bindStale(PreparedStatement s, int first) throws SQLException {
        int active = cipher.activeKeyId();
        s.setInt(first, SealedMessageFormat.SERIALIZER_ID);
        s.setBytes(first + 1, new byte[] {(byte) (active >>> 8), (byte) active});
    }

    private long run(int batchSize, LongPredicate afterBatch, Candidates candidates, String read, String update) {
        if (!cipher.enabled()) {
            return 0;
        }
        long rewritten = 0;
        try (Connection c = DriverManager.getConnection(
                        ClusterMode.journalUrl(config),
                        config.getString("lumadb.cluster.postgres.user"),
                        config.getString("lumadb.cluster.postgres.password"));
                PreparedStatement reads = c.prepareStatement(read);
                PreparedStatement updates = c.prepareStatement(update)) {
            Key after = null;
            while (true) {
                List<Key> keys = candidates.next(c, after);
                for (Key key : keys) {
                    if (Thread.currentThread().isInterrupted()) {
                        return rewritten;
                    }
                    if (rewrite(key, reads, updates)) {
                        rewritten++;
                    }
                }
                if (keys.size() < batchSize || !afterBatch.test(rewritten)) {
                    return rewritten;
                }
                after = keys.getLast();
            }
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "cannot re-encrypt the cluster journal at " + ClusterMode.journalUrl(config) + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /** Rewrites one row if it still needs it and nobody changed it meanwhile; whether it did. */
    private boolean rewrite(Key key, PreparedStatement reads, PreparedStatement updates) throws SQLException {
        Stored stored;
        reads.setString(1, key.persistenceId());
        reads.setLong(2, key.sequenceNr());
        try (ResultSet row = reads.executeQuery()) {
            if (!row.next()) {
                return false; // deleted meanwhile
            }
            stored = new Stored(row.getInt(1), row.getString(2), row.getBytes(3));
        }
        Stored next = sealing.reseal(stored);
        if (next == null) {
            return false;
        }
        updates.setInt(1, next.serializerId());
        updates.setString(2, next.manifest());
        updates.setBytes(3, next.bytes());
        updates.setString(4, key.persistenceId());
        updates.setLong(5, key.sequenceNr());
        updates.setInt(6, stored.serializerId());
        updates.setString(7, stored.manifest());
        updates.setBytes(8, stored.bytes());
        return updates.executeUpdate() == 1;
    }
}
