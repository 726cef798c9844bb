package io.lumadb.shards.store.internal;

import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.ShardStores;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;

/**
 * Shard state stores as column families {@code shard:<name>} of the node's RocksDB, whose
 * lifecycle (opening, creating and dropping column families) belongs to the node.
 */
public final class RocksShardStores implements ShardStores {

    private static final String PREFIX = "shard:";

    private final RocksDB db;
    private final Function<String, ColumnFamilyHandle> columnFamily;
    private final Consumer<String> dropColumnFamily;
    private final Supplier<? extends java.util.Collection<String>> columnFamilyNames;

    /**
     * @param columnFamily gets or creates a column family by name
     * @param dropColumnFamily drops a column family by name
     * @param columnFamilyNames lists the column families
     */
    public RocksShardStores(
            RocksDB db,
            Function<String, ColumnFamilyHandle> columnFamily,
            Consumer<String> dropColumnFamily,
            Supplier<? extends java.util.Collection<String>> columnFamilyNames) {
        this.db = db;
        this.columnFamily = columnFamily;
        this.dropColumnFamily = dropColumnFamily;
        this.columnFamilyNames = columnFamilyNames;
    }

    @Override
    public ShardStore open(String name) {
        return new RocksShardStore(name, db, columnFamily.apply(PREFIX + name));
    }

    @Override
    public void drop(String name) {
        dropColumnFamily.accept(PREFIX + name);
    }

    @Override
    public Set<String> names() {
        return columnFamilyNames.get().stream()
                .filter(n -> n.startsWith(PREFIX))
                .map(n -> n.substring(PREFIX.length()))
                .collect(Collectors.toUnmodifiableSet());
    }
}
