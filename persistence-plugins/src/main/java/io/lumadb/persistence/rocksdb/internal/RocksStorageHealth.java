package io.lumadb.persistence.rocksdb.internal;

import io.lumadb.persistence.rocksdb.StorageHealth;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.AbstractEventListener;
import org.rocksdb.BackgroundErrorReason;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link StorageHealth} of the node's RocksDB.
 *
 * <p>RocksDB stops taking writes after a failed WAL write or flush (a "background error") until it
 * recovers. For a full disk it recovers by itself: its SstFileManager checks the free space every
 * 5 seconds and resumes once at least the largest memtable ({@code write-buffer-size}) fits.
 * RocksJava 10.5 has no {@code DB::Resume()}, so this class does not resume the database itself;
 * it learns of the fault from RocksDB's event listener and from the journal's failed commits,
 * then, while the fault lasts, probes with a tiny synced write (backing off from 250 ms to 5 s)
 * and declares the storage writable again as soon as a write succeeds. The fault is logged once
 * when it starts and once when it ends, at most once a minute: one that comes back within a minute
 * of the last one logged (a flapping disk) is logged at debug, and the next warning counts it.
 *
 * <p>Listeners are called on RocksDB's or the journal's threads.
 */
final class RocksStorageHealth implements StorageHealth {

    // Logged under the public name, which operators know from the storage's log lines.
    private static final Logger log = LoggerFactory.getLogger(StorageHealth.class);
    private static final byte[] PROBE_KEY = "lumadb-storage-probe".getBytes(StandardCharsets.UTF_8);
    private static final Duration FIRST_PROBE = Duration.ofMillis(250);
    private static final Duration MAX_PROBE = Duration.ofSeconds(5);

    private final Path dir;
    private final long neededFreeBytes;
    /** At most one warning of a fault beginning per this much time; faults in between are flaps, logged at debug. */
    private final Duration flap;

    private final List<Listener> listeners = new CopyOnWriteArrayList<>();
    private final AtomicLong noSpaceErrors = new AtomicLong();
    private final Object lock = new Object();
    private final Object notifying = new Object();
    private final RocksListener rocksListener = new RocksListener();
    private volatile Condition condition; // null while writable; written under lock
    private RocksDB db; // guarded by lock
    private ScheduledExecutorService prober; // guarded by lock
    private Duration nextProbe = FIRST_PROBE; // guarded by lock
    private boolean stopped; // guarded by lock
    private Instant lastWarned = Instant.EPOCH; // guarded by lock: when the last fault's beginning was warned of
    private int flaps; // guarded by lock: faults since then that were logged at debug only
    private boolean flapping; // guarded by lock: the current condition began within flap of the last warning

    /**
     * @param dir the database directory (named in messages, and whose free space is reported)
     * @param neededFreeBytes free space RocksDB waits for before it resumes after a full disk (the
     *     largest {@code write-buffer-size}), reported while the disk is full
     */
    RocksStorageHealth(Path dir, long neededFreeBytes) {
        this(dir, neededFreeBytes, Duration.ofMinutes(1));
    }

    /** As above, with at most one warning of a fault beginning per {@code flap} (tests shorten it). */
    RocksStorageHealth(Path dir, long neededFreeBytes, Duration flap) {
        this.dir = dir;
        this.neededFreeBytes = neededFreeBytes;
        this.flap = flap;
    }

    /** The event listener to install in the database's options before it opens. */
    AbstractEventListener rocksListener() {
        return rocksListener;
    }

    /** Starts probing {@code db} when a fault is reported. */
    void attach(RocksDB db) {
        synchronized (lock) {
            this.db = db;
            if (condition != null) {
                scheduleProbe(Duration.ZERO);
            }
        }
    }

    @Override
    public void addListener(Listener listener) {
        synchronized (notifying) {
            listeners.add(listener);
            notifyChanged(listener, current());
        }
    }

    @Override
    public Optional<Condition> current() {
        return Optional.ofNullable(condition);
    }

    @Override
    public long noSpaceErrors() {
        return noSpaceErrors.get();
    }

    /** A storage fault is a RocksDB status of I/O error or no space among the failure's causes. */
    @Override
    public void writeFailed(Throwable failure) {
        Status status = storageStatus(failure);
        if (status == null) {
            return;
        }
        boolean noSpace = isNoSpace(status);
        if (noSpace) {
            countNoSpace();
        }
        enter(noSpace ? Kind.NO_SPACE : Kind.IO_ERROR, describe(status));
    }

    @Override
    public void writeSucceeded() {
        if (condition != null) {
            leave();
        }
    }

    @Override
    public void failedForGood(String reason) {
        synchronized (lock) {
            boolean started = condition == null;
            condition = new Condition(Kind.IO_ERROR, reason + "; restart the node", Instant.now());
            stopped = true; // no probe can clear it
            if (prober != null) {
                prober.shutdownNow();
            }
            if (started) {
                log.error("Storage at {} cannot take writes: {}; restart the node", dir, reason);
            }
        }
        notifyListeners();
    }

    /** The RocksDB status behind {@code failure}, if it is an I/O fault of the storage. */
    static Status storageStatus(Throwable failure) {
        for (Throwable e = failure; e != null; e = e.getCause()) {
            if (e instanceof RocksDBException rocks && rocks.getStatus() != null) {
                Status status = rocks.getStatus();
                return status.getCode() == Status.Code.IOError || isNoSpace(status) ? status : null;
            }
            if (e.getCause() == e) {
                break;
            }
        }
        return null;
    }

    private static boolean isNoSpace(Status status) {
        return status.getSubCode() == Status.SubCode.NoSpace
                || String.valueOf(status.getState()).contains("No space left on device");
    }

    private static String describe(Status status) {
        String state = status.getState();
        return state == null || state.isBlank() ? status.getCodeString() : state;
    }

    private void countNoSpace() {
        noSpaceErrors.incrementAndGet();
        for (Listener listener : listeners) {
            try {
                listener.noSpaceError();
            } catch (RuntimeException e) {
                log.warn("A storage health listener failed", e);
            }
        }
    }

    private void enter(Kind kind, String cause) {
        Condition entered;
        boolean quiet;
        int earlier = 0;
        synchronized (lock) {
            if (condition != null || stopped) {
                return;
            }
            entered = new Condition(kind, reason(kind, cause), Instant.now());
            condition = entered;
            flapping = Duration.between(lastWarned, entered.since()).compareTo(flap) < 0;
            quiet = flapping;
            if (flapping) {
                flaps++;
            } else {
                lastWarned = entered.since();
                earlier = flaps;
                flaps = 0;
            }
            nextProbe = FIRST_PROBE;
            scheduleProbe(FIRST_PROBE);
        }
        if (quiet) {
            log.debug("Storage at {} cannot make writes durable again ({}): {}", dir, kind.slug(), entered.reason());
        } else {
            log.warn(
                    "Storage at {} cannot make writes durable ({}): {}. Writes are refused until it recovers;"
                            + " it is checked every few seconds{}",
                    dir,
                    kind.slug(),
                    entered.reason(),
                    earlier == 0 ? "" : " (" + earlier + " more since the last warning, logged at debug level)");
        }
        notifyListeners();
    }

    private void leave() {
        Condition left;
        boolean quiet;
        synchronized (lock) {
            left = condition;
            if (left == null || stopped) {
                return;
            }
            condition = null;
            quiet = flapping;
        }
        String message = "Storage at {} takes writes again after {} ms ({} no-space errors since the node started)";
        long millis = Duration.between(left.since(), Instant.now()).toMillis();
        if (quiet) {
            log.debug(message, dir, millis, noSpaceErrors.get());
        } else {
            log.info(message, dir, millis, noSpaceErrors.get());
        }
        notifyListeners();
    }

    private String reason(Kind kind, String cause) {
        if (kind != Kind.NO_SPACE) {
            return "I/O error in " + dir + ": " + cause;
        }
        return "no space left in " + dir + " (" + freeSpace() + "); writes resume once at least " + mib(neededFreeBytes)
                + " are free";
    }

    private String freeSpace() {
        try {
            return mib(Files.getFileStore(dir).getUsableSpace()) + " free";
        } catch (IOException | RuntimeException e) {
            return "free space unknown";
        }
    }

    private static String mib(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    /**
     * Tells every listener the condition as it is now: changes on different threads may race,
     * but the last notification always carries the latest state.
     */
    private void notifyListeners() {
        synchronized (notifying) {
            Optional<Condition> now = current();
            for (Listener listener : listeners) {
                notifyChanged(listener, now);
            }
        }
    }

    private static void notifyChanged(Listener listener, Optional<Condition> now) {
        try {
            listener.changed(now);
        } catch (RuntimeException e) {
            log.warn("A storage health listener failed", e);
        }
    }

    // ---- probing

    private void scheduleProbe(Duration delay) {
        // Called with lock held.
        if (db == null || stopped) {
            return;
        }
        if (prober == null) {
            prober = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform()
                    .name("lumadb-storage-probe")
                    .daemon(true)
                    .unstarted(r));
        }
        prober.schedule(this::probe, delay.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** One synced write of a tiny key: if it succeeds, the storage is writable again. */
    private void probe() {
        RocksDB target;
        synchronized (lock) {
            if (condition == null || stopped) {
                return;
            }
            target = db;
        }
        try (WriteOptions sync = new WriteOptions().setSync(true)) {
            target.put(
                    sync, PROBE_KEY, Long.toString(System.currentTimeMillis()).getBytes(StandardCharsets.UTF_8));
            leave();
        } catch (RocksDBException e) {
            boolean updated = false;
            Condition lasting = null;
            synchronized (lock) {
                if (condition == null || stopped) {
                    return;
                }
                if (flapping
                        && Duration.between(condition.since(), Instant.now()).compareTo(flap) > 0) {
                    // A flap that lasts: now it is worth a warning (and its end worth an info).
                    flapping = false;
                    lasting = condition;
                }
                Status status = e.getStatus();
                if (condition.kind() == Kind.NO_SPACE || status != null && isNoSpace(status)) {
                    // Keep the reason current: the free space changes while an operator cleans up.
                    Condition now = new Condition(
                            Kind.NO_SPACE,
                            reason(Kind.NO_SPACE, status == null ? e.getMessage() : describe(status)),
                            condition.since());
                    updated = !now.equals(condition);
                    condition = now;
                }
                nextProbe = nextProbe.multipliedBy(2).compareTo(MAX_PROBE) > 0 ? MAX_PROBE : nextProbe.multipliedBy(2);
                scheduleProbe(nextProbe);
            }
            if (lasting != null) {
                log.warn(
                        "Storage at {} cannot make writes durable ({}) for {} s now: {}",
                        dir,
                        lasting.kind().slug(),
                        Duration.between(lasting.since(), Instant.now()).toSeconds(),
                        lasting.reason());
            }
            if (updated) {
                notifyListeners();
            }
        } catch (RuntimeException e) {
            // Not a storage answer (say, the database is closing): try again later, never stop probing.
            log.debug("Storage probe of {} failed", dir, e);
            synchronized (lock) {
                if (condition != null && !stopped) {
                    scheduleProbe(MAX_PROBE);
                }
            }
        }
    }

    /** Stops probing; runs before the database closes, and waits for a probe in flight. */
    void stopProbing() {
        ScheduledExecutorService executor;
        synchronized (lock) {
            stopped = true;
            executor = prober;
            prober = null;
        }
        if (executor != null) {
            executor.shutdownNow();
            try {
                if (!executor.awaitTermination(10, TimeUnit.SECONDS)) {
                    log.warn("The storage probe of {} did not stop within 10 s", dir);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Frees the native listener; runs after the database has closed. */
    void close() {
        rocksListener.close();
    }

    // ---- RocksDB's view

    /**
     * Hears RocksDB's background errors (a failed WAL write, flush or compaction) and its
     * recoveries. A compaction that runs out of space is a soft error: writes go on, so it only
     * counts; every other background error stops writes.
     */
    private final class RocksListener extends AbstractEventListener {
        RocksListener() {
            super(EnabledEventCallback.ON_BACKGROUND_ERROR, EnabledEventCallback.ON_ERROR_RECOVERY_COMPLETED);
        }

        @Override
        public void onBackgroundError(BackgroundErrorReason reason, Status status) {
            boolean noSpace = status != null && isNoSpace(status);
            if (noSpace && reason != BackgroundErrorReason.WRITE_CALLBACK) {
                // A failed write is counted by its writer (the journal); flushes and compactions here.
                countNoSpace();
            }
            if (reason == BackgroundErrorReason.COMPACTION && noSpace) {
                return;
            }
            enter(
                    noSpace ? Kind.NO_SPACE : Kind.IO_ERROR,
                    (status == null ? "unknown error" : describe(status)) + " ("
                            + reason.name().toLowerCase(java.util.Locale.ROOT) + ")");
        }

        @Override
        public void onErrorRecoveryCompleted(Status oldBackgroundError) {
            // RocksDB resumed: probe now rather than at the next tick.
            synchronized (lock) {
                if (condition != null) {
                    scheduleProbe(Duration.ZERO);
                }
            }
        }
    }
}
