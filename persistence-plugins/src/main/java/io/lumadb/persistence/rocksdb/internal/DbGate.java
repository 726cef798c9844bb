package io.lumadb.persistence.rocksdb.internal;

import io.lumadb.persistence.rocksdb.RocksStoreException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the dispatcher-run work of the persistence plugins (reads, snapshot writes) away from a
 * closed RocksDB.
 *
 * <p>That work runs as futures that the actor system does not wait for when it terminates; a call
 * that touched a native handle after {@link RocksDbNode#close()} would crash the JVM rather than
 * throw. Every such access therefore runs inside {@link #access}, and closing the node first waits
 * (bounded) for the accesses in flight and then turns every later one into a {@link
 * RocksStoreException}. Long loops (replays, scans) poll {@link #isClosing()} to stop early.
 */
public final class DbGate implements Extension {

    private static final Logger log = LoggerFactory.getLogger(DbGate.class);
    private static final long CLOSE_WAIT_SECONDS = 30;

    /** The Pekko extension id: {@code DbGate.get(system)}. */
    public static final class Id extends AbstractExtensionId<DbGate> implements ExtensionIdProvider {
        public static final Id INSTANCE = new Id();

        private Id() {}

        @Override
        public DbGate createExtension(ExtendedActorSystem system) {
            RocksDbNode node = RocksDbNode.get(system);
            DbGate gate = new DbGate(node.dir());
            node.beforeClose(gate::close);
            return gate;
        }

        @Override
        public Id lookup() {
            return INSTANCE;
        }
    }

    /** The gate of {@code system}'s RocksDB. */
    public static DbGate get(ActorSystem system) {
        return Id.INSTANCE.get(system);
    }

    private final Path dir;
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private volatile boolean closing;

    private DbGate(Path dir) {
        this.dir = dir;
    }

    /**
     * Runs {@code body} while the database is guaranteed to stay open.
     *
     * @throws RocksStoreException naming {@code store} if the database is closing or closed
     */
    public <T> T access(String store, Supplier<T> body) {
        Lock readLock = lock.readLock();
        // tryLock: a reader must never queue behind a closing node, it must fail at once.
        if (closing || !readLock.tryLock()) {
            throw closed(store);
        }
        try {
            if (closing) {
                throw closed(store);
            }
            return body.get();
        } finally {
            readLock.unlock();
        }
    }

    /** Whether the database is about to close; long reads check it to give up early. */
    public boolean isClosing() {
        return closing;
    }

    /** The exception a read gets when the database is closing. */
    public RocksStoreException closed(String store) {
        return new RocksStoreException(store + ": RocksDB at " + dir + " is closing", null);
    }

    private void close() {
        closing = true;
        Lock writeLock = lock.writeLock();
        try {
            if (writeLock.tryLock(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                // Held for good: from now on every read fails.
                return;
            }
            log.warn("Reads of RocksDB at {} still running after {}s; closing anyway", dir, CLOSE_WAIT_SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
