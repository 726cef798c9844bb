package io.lumadb.persistence.rocksdb;

import java.time.Instant;
import java.util.Optional;

/**
 * Whether the node's storage can make writes durable, and the fault while it cannot: a full disk
 * ({@link Kind#NO_SPACE}) or another I/O error ({@link Kind#IO_ERROR}). There is one per node, for
 * its one RocksDB; its writers (the journal) report how their writes went, and anyone may listen.
 *
 * <p>Guarantees: a storage fault reported by a writer or by the database makes the storage
 * unwritable, reported once rather than once per failure, until a write succeeds again (the
 * storage checks by itself every few seconds); failures that are not storage faults change
 * nothing. Listeners hear of every change and every no-space error; they are called on the
 * database's or the writers' threads, so they must be quick and must not block.
 */
public interface StorageHealth {

    /** What keeps writes from being durable. */
    enum Kind {
        /** The disk (or file system quota) is full. */
        NO_SPACE,
        /** Another I/O error of the storage. */
        IO_ERROR;

        /** The stable name used in problems and logs: {@code no-space}, {@code io-error}. */
        public String slug() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * The storage cannot make writes durable since {@code since}, for {@code reason} (a sentence
     * for operators, naming the directory and, for a full disk, the free and needed space).
     */
    record Condition(Kind kind, String reason, Instant since) {}

    /** Hears of the storage's condition; see the interface comment for threading. */
    interface Listener {
        /** The storage became unwritable ({@code condition} present) or writable again (empty). */
        void changed(Optional<Condition> condition);

        /** One more journal commit, flush or compaction failed for lack of space. */
        default void noSpaceError() {}
    }

    /** Adds a listener and tells it the current condition at once. */
    void addListener(Listener listener);

    /** The fault keeping writes from being durable, or empty while the storage is writable. */
    Optional<Condition> current();

    /** Journal commits, flushes and compactions that failed for lack of space since the node started. */
    long noSpaceErrors();

    /**
     * Reports a failed write (its exception or any cause of it). A storage fault (an I/O error,
     * out of space or other) makes the storage unwritable until a write succeeds again; other
     * failures (a bad argument, a closed database) are ignored.
     */
    void writeFailed(Throwable failure);

    /** Reports a write that succeeded: the storage is writable, whatever was reported before. */
    void writeSucceeded();

    /**
     * Reports a fault that no write can clear (the journal's writer thread died): the node stays
     * unwritable until it is restarted.
     */
    void failedForGood(String reason);
}
