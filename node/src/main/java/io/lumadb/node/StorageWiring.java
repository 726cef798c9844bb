package io.lumadb.node;

import io.lumadb.persistence.crypto.Encryption;
import io.lumadb.persistence.crypto.EnvelopeFormat.Domain;
import io.lumadb.persistence.crypto.SealingSerializer;
import io.lumadb.persistence.crypto.ValueCipher;
import io.lumadb.persistence.journal.JournalContents;
import io.lumadb.persistence.journal.internal.JournalCut;
import io.lumadb.persistence.journal.internal.JournalStore;
import io.lumadb.persistence.rocksdb.StorageHealth;
import io.lumadb.persistence.rocksdb.internal.RocksCheckpoints;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import io.lumadb.persistence.snapshot.internal.RocksSnapshotStore;
import io.lumadb.shards.store.DocumentCipher;
import io.lumadb.shards.store.ShardStores;
import io.lumadb.shards.store.internal.RocksShardStores;
import io.lumadb.timeseries.shard.TimeSeriesStores;
import io.lumadb.timeseries.store.TimeSeriesCipher;
import io.lumadb.timeseries.store.internal.RocksTimeSeriesOpener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * The node's composition root for storage, and the only class outside the storage modules that
 * touches RocksDB or another module's internal packages: a node has one RocksDB, opened by
 * persistence-plugins for the journal and the snapshots, and the shards' state stores live in it
 * too, yet shards may not depend on persistence-plugins. So this class takes the database from
 * persistence-plugins and builds the shards' stores on it; the rest of the node sees only public
 * types. It also hands the node's cipher (encryption at rest) to the shards' stores, and starts
 * the background re-encryption of all three (in cluster mode, of the journal and snapshot rows in
 * PostgreSQL instead of the embedded ones), stopped before the database closes.
 *
 * <p>Backups and restores need the database too: {@link #checkpoint} writes a RocksDB checkpoint
 * and reads its journal position, and {@link #open} applies a requested point-in-time restore
 * ({@link PointInTimeRestore}) right after the database opens, before any actor uses it.
 *
 * @param dataDir the directory the node's database lives in
 * @param health whether the node's storage can make writes durable
 * @param shardStores the state stores of the shards this node hosts
 * @param cipher the node's encryption at rest
 * @param reencryption the background re-encryption (idle when encryption is off)
 * @param timeSeries opens (and images) a shard's time series in the same column family, under the
 *     shard store's key prefix followed by {@link #TIME_SERIES_SPACE} (above every key space of a
 *     shard store), so that dropping the shard store drops them too
 * @param checkpoint writes a checkpoint of the node's RocksDB into the (new) directory it is given
 *     and answers the journal it holds (embedded mode only)
 */
record StorageWiring(
        Path dataDir,
        StorageHealth health,
        ShardStores shardStores,
        ValueCipher cipher,
        Reencryption reencryption,
        TimeSeriesStores.Opener timeSeries,
        Function<Path, JournalContents> checkpoint) {

    /** The key-space byte of a shard's time series after its store's 8-byte prefix. */
    static final byte TIME_SERIES_SPACE = 0x10;

    /**
     * Opens the node's RocksDB (once per actor system; it closes when the system terminates) and
     * the shard stores on it, migrating stores of an older layout.
     */
    static StorageWiring open(ActorSystem<?> system) {
        var classic = Adapter.toClassic(system);
        RocksDbNode rocks = RocksDbNode.get(classic);
        ValueCipher cipher = Encryption.get(classic).cipher();
        RocksShardStores stores = new RocksShardStores(
                rocks.db(), rocks::columnFamily, rocks::dropColumnFamily, rocks::columnFamilyNames, documents(cipher));
        var config = system.settings().config();
        boolean embeddedJournal =
                config.getString("pekko.persistence.journal.plugin").equals("lumadb.persistence.journal");
        var serialization = org.apache.pekko.serialization.SerializationExtension.get(classic);
        Function<byte[][], Long> timestamps = JournalCut.timestamps(serialization, cipher);
        restore(config, rocks, stores, embeddedJournal, timestamps);
        RocksTimeSeriesOpener timeSeries = new RocksTimeSeriesOpener(
                stores.db(),
                stores.stateColumnFamily(),
                stores::keyPrefix,
                TIME_SERIES_SPACE,
                timeSeries(cipher),
                stores::writeLock);
        List<Reencryption.Part> parts = new java.util.ArrayList<>();
        parts.add(new Reencryption.Part("shard documents", stores::reencrypt));
        parts.add(new Reencryption.Part("time series", (batch, after) -> {
            long rewritten = 0;
            for (String name : new java.util.TreeSet<>(stores.names())) {
                long before = rewritten;
                boolean[] stop = {false};
                rewritten += timeSeries.reencrypt(name, batch, inStore -> {
                    stop[0] = !after.test(before + inStore);
                    return !stop[0];
                });
                if (stop[0]) {
                    break;
                }
            }
            return rewritten;
        }));
        // The embedded journal and snapshot store seal their values themselves; in cluster mode they
        // live in PostgreSQL (pekko-persistence-jdbc), which receives messages sealed by the sealing
        // serializer (see PersistedTypes), and its rows are rewritten over JDBC.
        if (config.getString("pekko.persistence.journal.plugin").equals("lumadb.persistence.journal")) {
            parts.add(new Reencryption.Part("journal events", (batch, after) -> JournalStore.get(classic)
                    .reencrypt(batch, after)));
        }
        if (config.getString("pekko.persistence.snapshot-store.plugin").equals("lumadb.persistence.snapshot-store")) {
            parts.add(new Reencryption.Part(
                    "snapshots", (batch, after) -> RocksSnapshotStore.reencrypt(rocks, cipher, batch, after)));
        }
        if (config.getString("pekko.persistence.journal.plugin").equals("jdbc-journal")) {
            var postgres = new PostgresReencryption(config, SealingSerializer.get(classic), cipher);
            parts.add(new Reencryption.Part("journal events in PostgreSQL", postgres::journal));
            parts.add(new Reencryption.Part("snapshots in PostgreSQL", postgres::snapshots));
        }
        Reencryption reencryption = new Reencryption(config.getConfig("lumadb.encryption.reencrypt"), cipher, parts);
        rocks.beforeClose(reencryption::stop);
        return new StorageWiring(
                rocks.dir(),
                rocks.storageHealth(),
                stores,
                cipher,
                reencryption,
                timeSeries,
                target -> RocksCheckpoints.checkpoint(rocks, target, timestamps));
    }

    /**
     * Applies the point-in-time restore the data directory asks for ({@code restore-target.json}),
     * before anything reads the journal or the stores; refuses one in cluster mode, where the
     * journal is PostgreSQL's.
     */
    private static void restore(
            com.typesafe.config.Config config,
            RocksDbNode rocks,
            ShardStores stores,
            boolean embeddedJournal,
            Function<byte[][], Long> timestamps) {
        Path dataDir = Path.of(config.getString("lumadb.data-dir")).toAbsolutePath();
        if (!Files.exists(dataDir.resolve(PointInTimeRestore.TARGET_FILE))) {
            return;
        }
        if (!embeddedJournal) {
            throw new PointInTimeRestore.RestoreException(
                    "cannot restore: " + dataDir.resolve(PointInTimeRestore.TARGET_FILE)
                            + " asks for a point-in-time restore, but this node runs in cluster mode, whose journal is the"
                            + " PostgreSQL database: restore that database to the point in time instead (PostgreSQL's"
                            + " point-in-time recovery), and start the nodes on empty data directories");
        }
        JournalCut.Families families = RocksCheckpoints.families(rocks);
        PointInTimeRestore.Journal journal = new PointInTimeRestore.Journal() {
            @Override
            public JournalContents scan(boolean withTimestamps) {
                return JournalCut.scan(rocks.db(), families, withTimestamps ? timestamps : null, timestamps);
            }

            @Override
            public Map<String, Integer> cut(
                    JournalContents contents, Map<String, Long> keepTo, Set<String> dropSnapshots) {
                return JournalCut.apply(rocks.db(), families, contents, keepTo, dropSnapshots);
            }
        };
        PointInTimeRestore.applyIfRequested(
                dataDir,
                journal,
                stores,
                io.lumadb.vector.SearchSettings.from(config).directory());
    }

    /** The node's cipher as the shards' stores see it: sealing in the shard-document domain. */
    static DocumentCipher documents(ValueCipher cipher) {
        // Also with encryption off: the disabled cipher still names the key of a sealed value it meets.
        return new Documents(cipher);
    }

    /** The cipher of the time series' values, on the node's (the disabled one still names a sealed value's key). */
    static TimeSeriesCipher timeSeries(ValueCipher cipher) {
        return new TimeSeries(cipher);
    }

    private record TimeSeries(ValueCipher cipher) implements TimeSeriesCipher {
        @Override
        public boolean enabled() {
            return cipher.enabled();
        }

        @Override
        public byte[] seal(byte[] aad, byte[] plain) {
            return cipher.seal(Domain.TIME_SERIES, aad, plain, 0, plain.length);
        }

        @Override
        public byte[] open(byte[] aad, byte[] sealed) {
            return cipher.open(Domain.TIME_SERIES, aad, sealed);
        }

        @Override
        public boolean isCurrent(byte[] stored) {
            return cipher.isCurrent(stored, 0);
        }
    }

    private record Documents(ValueCipher cipher) implements DocumentCipher {
        @Override
        public boolean enabled() {
            return cipher.enabled();
        }

        @Override
        public byte[] seal(byte[] aad, byte[] plain, int offset, int length) {
            return cipher.seal(Domain.SHARD_DOCUMENT, aad, plain, offset, length);
        }

        @Override
        public byte[] open(byte[] aad, byte[] sealed) {
            return cipher.open(Domain.SHARD_DOCUMENT, aad, sealed);
        }

        @Override
        public boolean isCurrent(byte[] stored) {
            return cipher.isCurrent(stored, 0);
        }
    }
}
