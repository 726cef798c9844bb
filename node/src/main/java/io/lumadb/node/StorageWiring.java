package io.lumadb.node;

import io.lumadb.persistence.rocksdb.StorageHealth;
import io.lumadb.persistence.rocksdb.internal.RocksDbNode;
import io.lumadb.shards.store.ShardStores;
import io.lumadb.shards.store.internal.RocksShardStores;
import java.nio.file.Path;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;

/**
 * The node's composition root for storage, and the only class outside the storage modules that
 * touches RocksDB or another module's internal packages: a node has one RocksDB, opened by
 * persistence-plugins for the journal and the snapshots, and the shards' state stores live in it
 * too, yet shards may not depend on persistence-plugins. So this class takes the database from
 * persistence-plugins and builds the shards' stores on it; the rest of the node sees only public
 * types.
 *
 * @param dataDir the directory the node's database lives in
 * @param health whether the node's storage can make writes durable
 * @param shardStores the state stores of the shards this node hosts
 */
record StorageWiring(Path dataDir, StorageHealth health, ShardStores shardStores) {

    /**
     * Opens the node's RocksDB (once per actor system; it closes when the system terminates) and
     * the shard stores on it, migrating stores of an older layout.
     */
    static StorageWiring open(ActorSystem<?> system) {
        RocksDbNode rocks = RocksDbNode.get(Adapter.toClassic(system));
        return new StorageWiring(
                rocks.dir(),
                rocks.storageHealth(),
                new RocksShardStores(
                        rocks.db(), rocks::columnFamily, rocks::dropColumnFamily, rocks::columnFamilyNames));
    }
}
