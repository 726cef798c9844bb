package io.lumadb.bench.streams;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the change-stream fan-out benchmark measured, as it writes it to JSON and the suite reads
 * it back: per system ({@code lumadb}, {@code reference}) and round, the most deliveries per
 * second, the latency at a fixed write rate, the heap of idle subscriptions, and whether every
 * subscriber received every write once and in order.
 *
 * @param status {@code "ok"}, or {@code "failed"} when a measurement could not run or a check
 *     failed (a lost, duplicated or reordered delivery, an overflow, a failed write): then the
 *     figures are not a clean measurement
 * @param failures why it failed, one line each
 */
public record StreamReport(
        String status,
        List<String> failures,
        Map<String, String> settings,
        List<Throughput> throughput,
        List<Latency> latency,
        List<Idle> idle,
        List<String> notes) {

    public static final String LUMADB = "lumadb";
    public static final String REFERENCE = "reference";
    /** LumaDB's idle subscriptions multiplexed over WebSocket connections. */
    public static final String LUMADB_WEBSOCKET = "lumadb-websocket";

    public StreamReport {
        failures = List.copyOf(failures);
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
        throughput = List.copyOf(throughput);
        latency = List.copyOf(latency);
        idle = List.copyOf(idle);
        notes = List.copyOf(notes);
    }

    public static StreamReport failed(String why) {
        return new StreamReport("failed", List.of(why), Map.of(), List.of(), List.of(), List.of(), List.of());
    }

    @JsonIgnore
    public boolean ok() {
        return "ok".equals(status);
    }

    /**
     * What the subscribers and the writer saw during one measurement, checked.
     *
     * @param writes writes the server acknowledged (each subscriber must receive each once)
     * @param writeErrors writes that failed (not acknowledged)
     * @param stalled why the writer stopped by itself, or null
     */
    public record Check(
            SubscriberPool.Check subscribers,
            long writes,
            long writeErrors,
            List<String> writeErrorSamples,
            String stalled) {
        public Check {
            writeErrorSamples = List.copyOf(writeErrorSamples);
        }

        public boolean clean() {
            return problems().isEmpty();
        }

        /** The problems, one phrase each; empty when clean. */
        public List<String> problems() {
            List<String> p = new ArrayList<>(subscribers.problems());
            if (writeErrors > 0) {
                p.add(writeErrors + " failed writes (" + String.join("; ", writeErrorSamples) + ")");
            }
            if (stalled != null) {
                p.add("writer stalled: " + stalled);
            }
            return p;
        }
    }

    /**
     * The most deliveries per second: the writer waits only for the fan-out (at most {@code
     * inFlight} writes not yet received by every subscriber).
     *
     * @param deliveriesPerSec changes received per second, all subscribers together
     * @param serverCpu the server's CPU time over the window, in CPUs (1.0 = one CPU busy)
     * @param clientCpu the same for the benchmark's own process (subscribers and writer)
     * @param bytesPerDelivery bytes read per change received, HTTP chunk framing included
     */
    public record Throughput(
            String system,
            int round,
            int subscribers,
            int inFlight,
            double seconds,
            long writes,
            long deliveries,
            double writesPerSec,
            double deliveriesPerSec,
            double p50Ms,
            double p99Ms,
            double maxMs,
            double serverCpu,
            double clientCpu,
            double bytesPerDelivery,
            Check check) {}

    /**
     * Delivery latency at a fixed write rate (open loop): from the write's due send time to the
     * subscriber's read of the change, over every delivery in the window.
     *
     * @param ackP50Ms the writer's send-to-acknowledgement latency (for LumaDB: the durable commit)
     * @param lagMaxMs how late the writer sent its latest write (0 when it kept the schedule)
     */
    public record Latency(
            String system,
            int round,
            int subscribers,
            double rate,
            double seconds,
            long writes,
            long deliveries,
            double p50Ms,
            double p90Ms,
            double p99Ms,
            double p999Ms,
            double maxMs,
            double ackP50Ms,
            double ackP99Ms,
            double lagMaxMs,
            double serverCpu,
            double clientCpu,
            Check check) {}

    /**
     * The heap that idle subscriptions hold in the server: readings after a forced full GC before
     * the subscriptions and once all of them had received {@code subscribed}.
     *
     * @param heapDeltaMb growth of the heap in use ({@code GC.heap_info}; ZGC counts 2 MB pages)
     * @param liveDeltaMb growth of the bytes of live objects ({@code GC.class_histogram})
     * @param kbPerSubscription {@code heapDeltaMb} per subscription, in KB
     * @param topClasses the classes that grew most, with instance and byte counts
     * @param problem why the measurement is incomplete, or null
     */
    public record Idle(
            String system,
            int subscriptions,
            int subscribed,
            String layout,
            double openSeconds,
            double heapBeforeMb,
            double heapAfterMb,
            double heapDeltaMb,
            double liveBeforeMb,
            double liveAfterMb,
            double liveDeltaMb,
            double kbPerSubscription,
            double liveKbPerSubscription,
            List<ProcessProbe.ClassDelta> topClasses,
            String problem) {
        public Idle {
            topClasses = List.copyOf(topClasses);
        }
    }
}
