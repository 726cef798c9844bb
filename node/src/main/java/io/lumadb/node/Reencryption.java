package io.lumadb.node;

import com.typesafe.config.Config;
import io.lumadb.persistence.crypto.ValueCipher;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongPredicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background re-encryption of a node: once after start, on a thread of its own, it rewrites
 * every value not sealed under the active key (sealed under an older key, or written before
 * encryption was turned on) in the shard stores, the journal and the snapshots, in batches with a
 * pause between them, so writes wait at most one batch. Since the keyring is read at start, one
 * pass per start is enough: everything written afterwards uses the active key.
 *
 * <p>Progress: a log line when a pass starts and ends (with counts per part), and the counter
 * {@code lumadb_encryption_reencrypted_values_total} plus the gauge {@code
 * lumadb_encryption_reencryption_running} in the metrics.
 */
final class Reencryption {

    private static final Logger log = LoggerFactory.getLogger(Reencryption.class);

    /** One kind of stored value and how to re-encrypt it: {@code (batchSize, afterBatch) -> rewritten}. */
    record Part(String name, Pass pass) {}

    /** A re-encryption pass over one kind of stored value. */
    @FunctionalInterface
    interface Pass {
        long run(int batchSize, LongPredicate afterBatch);
    }

    private final boolean enabled;
    private final int batchSize;
    private final Duration pause;
    private final ValueCipher cipher;
    private final List<Part> parts;
    private final AtomicLong rewritten = new AtomicLong();
    private volatile boolean running;
    private volatile boolean stopped;
    private Thread thread;

    Reencryption(Config config, ValueCipher cipher, List<Part> parts) {
        this.enabled = config.getBoolean("enabled");
        this.batchSize = config.getInt("batch-size");
        if (batchSize < 1) {
            throw new IllegalArgumentException(
                    "lumadb.encryption.reencrypt.batch-size must be at least 1, was " + batchSize);
        }
        this.pause = config.getDuration("pause");
        this.cipher = cipher;
        this.parts = List.copyOf(parts);
    }

    /** Starts the pass, unless encryption or re-encryption is off. */
    synchronized void start() {
        if (!enabled || !cipher.enabled() || thread != null || stopped) {
            return;
        }
        running = true;
        thread = Thread.ofPlatform().name("lumadb-reencrypt").daemon(true).start(this::run);
    }

    /** Values rewritten since the node started. */
    long rewritten() {
        return rewritten.get();
    }

    /** Whether a pass is under way. */
    boolean running() {
        return running;
    }

    /** Stops the pass after its current batch and waits for it; runs before the database closes. */
    void stop() {
        Thread t;
        synchronized (this) {
            stopped = true;
            t = thread;
        }
        if (t == null) {
            return;
        }
        t.interrupt();
        try {
            t.join(Duration.ofSeconds(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        long start = System.nanoTime();
        log.info("Re-encryption started: rewriting values not sealed under the active key id {}", cipher.activeKeyId());
        StringBuilder summary = new StringBuilder();
        try {
            for (Part part : parts) {
                if (stopped) {
                    break;
                }
                long before = rewritten.get();
                long done = part.pass().run(batchSize, inPart -> afterBatch(before + inPart));
                rewritten.set(before + done);
                summary.append(summary.isEmpty() ? "" : ", ")
                        .append(done)
                        .append(' ')
                        .append(part.name());
            }
            log.info(
                    "Re-encryption {} in {} ms: {} values rewritten under key id {} ({})",
                    stopped ? "stopped" : "finished",
                    (System.nanoTime() - start) / 1_000_000,
                    rewritten.get(),
                    cipher.activeKeyId(),
                    summary);
        } catch (RuntimeException e) {
            if (stopped) {
                log.info("Re-encryption stopped with the node after {} values", rewritten.get());
            } else {
                // The values stay readable under their old key; the next start tries again.
                log.error("Re-encryption failed after {} values: {}", rewritten.get(), e.getMessage(), e);
            }
        } finally {
            running = false;
        }
    }

    /** Publishes the progress and pauses before the next batch; false once the node stops. */
    private boolean afterBatch(long total) {
        rewritten.set(total);
        if (stopped) {
            return false;
        }
        try {
            Thread.sleep(pause);
        } catch (InterruptedException e) {
            return false;
        }
        return !stopped;
    }
}
