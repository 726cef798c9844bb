package io.lumadb.client;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lumadb.persistence.journal.internal.JournalFormat;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import io.lumadb.shards.shard.ShardEvents;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * Does to a stopped server's data directory what journal retention will do (the server has no
 * retention yet): deletes a shard's oldest events the way the journal plugin deletes them (one
 * range tombstone plus the persistence id's deleted-to mark, in one write), through the server's
 * own RocksDB setup and journal layout. A subscriber whose position is inside the deleted range
 * then meets real lost history.
 */
final class JournalRetention {

    private JournalRetention() {}

    /**
     * Deletes events 1..{@code toSeq} of shard {@code shard} of a collection. The server must be
     * stopped (RocksDB holds a lock).
     *
     * @param incarnation the collection's incarnation (resume tokens carry it)
     */
    static void deleteEvents(Path dataDir, String database, String collection, long incarnation, int shard, long toSeq)
            throws Exception {
        // The shard entity id, as CollectionInfo.shardEntityId builds it.
        String persistenceId = ShardEvents.persistenceId(database + "/" + collection + "/" + incarnation + "/" + shard);
        Config config = ConfigFactory.parseMap(
                        Map.of("dir", dataDir.resolve("rocksdb").toString()))
                .withFallback(ConfigFactory.defaultReference().getConfig("lumadb.persistence.rocksdb"));
        RocksDbNode node = RocksDbNode.open(config);
        try {
            ColumnFamilyHandle journal = node.columnFamily(JournalFormat.JOURNAL_CF);
            ColumnFamilyHandle meta = node.columnFamily(JournalFormat.META_CF);
            byte[] pid = persistenceId.getBytes(StandardCharsets.UTF_8);
            try (WriteBatch batch = new WriteBatch();
                    WriteOptions sync = new WriteOptions().setSync(true)) {
                batch.deleteRange(journal, JournalFormat.eventKey(pid, 1), JournalFormat.eventKey(pid, toSeq + 1));
                batch.put(
                        meta,
                        JournalFormat.deletedToKey(pid),
                        ByteBuffer.allocate(8).putLong(toSeq).array());
                node.db().write(sync, batch);
            }
        } finally {
            node.close();
        }
    }
}
