package io.lumadb.vector;

import io.lumadb.shards.store.ForwardingShardStores;
import io.lumadb.shards.store.ShardStore;
import io.lumadb.shards.store.ShardStores;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's shard stores with search: each store opened is a {@link SearchingShardStore} over
 * the store of {@code stores}, and dropping a store also deletes its search indexes.
 */
public final class SearchStores extends ForwardingShardStores {

    private static final Logger log = LoggerFactory.getLogger(SearchStores.class);

    private final SearchNode node;

    public SearchStores(ShardStores stores, SearchNode node) {
        super(stores);
        this.node = node;
    }

    @Override
    public ShardStore open(String name) {
        return new SearchingShardStore(inner.open(name), node);
    }

    @Override
    public void drop(String name) {
        inner.drop(name);
        deleteTree(node.shardDirectory(name));
    }

    /** Deletes the index directories of shard {@code storeName} whose ids are not in {@code keep}. */
    static void deleteLeftovers(SearchNode node, String storeName, Set<Long> keep) {
        Path dir = node.shardDirectory(storeName);
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> children = Files.list(dir)) {
            for (Path child : children.toList()) {
                String name = child.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit) || !keep.contains(Long.parseLong(name))) {
                    log.info("Deleting the search index {} of shard {}: the catalog no longer has it", name, storeName);
                    deleteTree(child);
                }
            }
        } catch (IOException e) {
            log.warn("Cannot list the search indexes of shard {}: {}", storeName, e.toString());
        }
    }

    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
