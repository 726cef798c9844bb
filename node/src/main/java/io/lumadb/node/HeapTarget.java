package io.lumadb.node;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import com.typesafe.config.Config;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.time.Duration;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps ZGC's heap compact: sets the collector's soft limit ({@code SoftMaxHeapSize}) to a
 * fraction of the heap limit, raised to twice the data live after the last collection when that
 * is more.
 *
 * <p>Left alone, ZGC lets the heap grow to its limit before it collects much, and gives memory it
 * has not used for five minutes back to the system. Each page it takes anew is cleared by the
 * kernel on its first touch: on a fresh node loading data, or a node busy again after an idle
 * spell, that was a quarter of the node's CPU (a line-protocol ingest of 864,000 rows took 11.8
 * to 13 s of CPU with a 2 GiB heap growing to its limit, 9 to 9.7 s with the heap kept to 512 MiB;
 * touching all 2 GiB up front took 4.5 s). A compact heap is touched once and reused. The soft
 * limit is only a target: the collector still grows the heap to its limit rather than fail, and
 * the target follows the live data up, so that a node holding more never collects back to back.
 */
final class HeapTarget {

    private static final Logger log = LoggerFactory.getLogger(HeapTarget.class);

    static final String OPTION = "SoftMaxHeapSize";

    /** The least target: below it a node collects often for little memory saved. */
    static final long FLOOR = 512L << 20;

    /** Sets the JVM's soft limit; throws IllegalArgumentException when the JVM refuses the value. */
    private final LongConsumer set;
    /** The bytes live after the last collection. */
    private final LongSupplier live;

    private final long maxHeap;
    private final double fraction;
    /** The target set; 0: none yet; -1: the JVM refused one, so no more are tried. */
    private long current;

    HeapTarget(LongConsumer set, LongSupplier live, long maxHeap, double fraction) {
        this.set = set;
        this.live = live;
        this.maxHeap = maxHeap;
        this.fraction = fraction;
    }

    /**
     * The soft limit for a heap limit of {@code maxHeap} bytes with {@code live} bytes live after
     * the last collection: {@code fraction} of the limit, at least {@link #FLOOR} and twice the live
     * data, at most the limit.
     */
    static long target(long maxHeap, long live, double fraction) {
        long wanted = Math.max(Math.max(FLOOR, (long) (maxHeap * fraction)), 2 * Math.max(0, live));
        return Math.min(maxHeap, wanted);
    }

    /**
     * Sets the target and checks it every {@code lumadb.heap.check-every}, when the node runs on
     * ZGC, {@code lumadb.heap.soft-max-fraction} is above 0 and nobody set {@code
     * -XX:SoftMaxHeapSize}; otherwise does nothing.
     */
    static void start(ActorSystem<?> system, Config config) {
        double fraction = config.getDouble("lumadb.heap.soft-max-fraction");
        if (fraction <= 0 || !onZgc()) {
            return;
        }
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        VMOption option;
        try {
            option = vm.getVMOption(OPTION);
        } catch (IllegalArgumentException e) {
            return; // a JVM without the option
        }
        if (option.getOrigin() != VMOption.Origin.DEFAULT && option.getOrigin() != VMOption.Origin.ERGONOMIC) {
            log.info("Heap: keeping -XX:{}={} as given", OPTION, option.getValue());
            return;
        }
        long maxHeap = Long.parseLong(vm.getVMOption("MaxHeapSize").getValue());
        HeapTarget target = new HeapTarget(
                bytes -> vm.setVMOption(OPTION, Long.toString(bytes)),
                HeapTarget::liveAfterCollection,
                maxHeap,
                Math.min(1.0, fraction));
        target.check();
        if (target.current < 0) {
            return;
        }
        log.info(
                "Heap: ZGC keeps to {} MiB of the {} MiB limit when it can (lumadb.heap.soft-max-fraction {})",
                target.current >> 20,
                target.maxHeap >> 20,
                fraction);
        Duration every = config.getDuration("lumadb.heap.check-every");
        system.scheduler().scheduleAtFixedRate(every, every, target::check, system.executionContext());
    }

    /**
     * Sets the target for the data live now, if it changed; stops for good if the JVM refuses it.
     * The target it set: 0 before any, -1 once refused.
     */
    long check() {
        if (current < 0) {
            return current;
        }
        long wanted = target(maxHeap, live.getAsLong(), fraction);
        if (wanted == current) {
            return current;
        }
        try {
            set.accept(wanted);
        } catch (IllegalArgumentException e) {
            log.warn(
                    "Heap: the JVM refused -XX:{}={}, so the heap is left to its default: {}",
                    OPTION,
                    wanted,
                    e.getMessage());
            current = -1;
            return current;
        }
        if (current != 0) {
            log.debug("Heap: ZGC now keeps to {} MiB", wanted >> 20);
        }
        current = wanted;
        return current;
    }

    private static boolean onZgc() {
        return ManagementFactory.getGarbageCollectorMXBeans().stream()
                .anyMatch(gc -> gc.getName().startsWith("ZGC"));
    }

    /** The heap in use after each pool's last collection, summed: the data that was live. */
    private static long liveAfterCollection() {
        long live = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.isCollectionUsageThresholdSupported()) {
                MemoryUsage after = pool.getCollectionUsage();
                if (after != null) {
                    live += after.getUsed();
                }
            }
        }
        return live;
    }
}
