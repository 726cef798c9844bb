package io.lumadb.chaos.workload;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.chaos.history.History;
import io.lumadb.chaos.history.Op;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The register workload: documents used as single registers (field {@code v}), read, written
 * blindly and written with compare-and-set through {@code If-Match}, by several clients on every
 * node. Each written value is unique, so a version and a value name the same register state and
 * a CAS on the version the client read is a CAS on the value it read.
 *
 * <p>Half the slots read with {@code ?consistency=linearizable} (their keys start with {@value
 * #LINEARIZABLE_PREFIX}), the other half with the default local reads (keys starting with {@value
 * #LOCAL_PREFIX}), so one run checks both modes under the same faults.
 *
 * <p>A key takes at most {@code opsPerKey} operations; then its slot moves on to a fresh key. That
 * keeps every key's history short enough for an exact linearizability check however long the
 * run, the way Jepsen's independent keys do.
 */
public final class Registers {

    /** The {@code kind} field of register documents (the live queries select on it). */
    public static final String KIND = "r";

    /** Keys whose reads are linearizable ({@code ?consistency=linearizable}). */
    public static final String LINEARIZABLE_PREFIX = "l";

    /** Keys whose reads are the default local reads. */
    public static final String LOCAL_PREFIX = "r";

    private final Target target;
    private final History history;
    private final int slots;
    private final int opsPerKey;
    private final AtomicLongArray slotOps;

    public Registers(Target target, History history, int slots, int opsPerKey) {
        this.target = target;
        this.history = history;
        this.slots = slots;
        this.opsPerKey = opsPerKey;
        this.slotOps = new AtomicLongArray(slots);
    }

    /** One client: runs operations against {@code node} until {@code stop} says so. */
    public Runnable client(int process, String node, SplittableRandom random, java.util.function.BooleanSupplier stop) {
        return () -> {
            Map<String, long[]> lastRead = new HashMap<>(); // key -> {value, version}
            long counter = 0;
            while (!stop.getAsBoolean()) {
                int slot = random.nextInt(slots);
                String key = key(slot, slotOps.getAndIncrement(slot) / opsPerKey);
                int dice = random.nextInt(4);
                Op.Outcome outcome;
                if (dice < 2) {
                    outcome = read(process, node, key, lastRead);
                } else {
                    long value = (long) process * 100_000_000L + ++counter;
                    long[] seen = lastRead.remove(key);
                    if (dice == 3 && seen != null) {
                        outcome = cas(process, node, key, seen[0], seen[1], value);
                    } else {
                        outcome = write(process, node, key, value);
                    }
                }
                Workloads.pause(random, outcome);
            }
        };
    }

    private Op.Outcome read(int process, String node, String key, Map<String, long[]> lastRead) {
        long index = history.nextIndex();
        long invoked = history.now();
        String url =
                target.docUrl(node, key) + (key.startsWith(LINEARIZABLE_PREFIX) ? "?consistency=linearizable" : "");
        NodeApi.Outcome o = target.api().get(url);
        Long value = null;
        Long version = null;
        Op.Outcome outcome = Op.Outcome.FAIL;
        if (o instanceof NodeApi.Answered a && a.status() == 200) {
            JsonNode doc = a.json();
            value = doc.path("v").asLong();
            version = doc.path("_version").asLong();
            outcome = Op.Outcome.OK;
            lastRead.put(key, new long[] {value, version});
        } else if (o instanceof NodeApi.Answered a && a.status() == 404) {
            outcome = Op.Outcome.OK;
            lastRead.remove(key);
        }
        Workloads.record(
                history,
                new Op(index, process, node, Op.Type.READ, key, value, null, version, invoked, invoked, outcome, ""),
                o);
        return outcome;
    }

    private Op.Outcome write(int process, String node, String key, long value) {
        long index = history.nextIndex();
        long invoked = history.now();
        NodeApi.Outcome o = target.api().put(target.docUrl(node, key), body(value));
        return Workloads.recordWrite(history, index, process, node, Op.Type.WRITE, key, value, null, invoked, o);
    }

    private Op.Outcome cas(int process, String node, String key, long expected, long version, long value) {
        long index = history.nextIndex();
        long invoked = history.now();
        NodeApi.Outcome o = target.api().put(target.docUrl(node, key), body(value), "If-Match", "\"" + version + "\"");
        return Workloads.recordWrite(history, index, process, node, Op.Type.CAS, key, value, expected, invoked, o);
    }

    private static String key(int slot, long generation) {
        return (slot % 2 == 0 ? LOCAL_PREFIX : LINEARIZABLE_PREFIX) + slot + "-" + generation;
    }

    private static String body(long value) {
        return "{\"kind\":\"" + KIND + "\",\"v\":" + value + "}";
    }
}
