package io.lumadb.node;

import com.typesafe.config.Config;
import io.lumadb.http.RequestObserver;
import kamon.Kamon;
import kamon.metric.MeasurementUnit;
import kamon.metric.Metric;
import kamon.prometheus.PrometheusReporter;
import kamon.tag.TagSet;

/**
 * The node's metrics, kept with Kamon's core API (no agent) and exported as Prometheus text
 * at {@code GET /metrics}. Kamon is global to the JVM, so it starts once per process.
 */
final class NodeMetrics implements RequestObserver {

    private static PrometheusReporter reporter;

    private final Metric.Histogram requestLatency = Kamon.histogram(
            "lumadb.http.request.latency",
            "HTTP request latency by route, method and status",
            MeasurementUnit.time().nanoseconds());
    private final Metric.Counter requests =
            Kamon.counter("lumadb.http.requests", "HTTP requests answered by route, method and status");
    private final Metric.Counter rateLimited = Kamon.counter(
            "lumadb.http.rate.limited",
            "Requests refused with 429 by a rate limit, by kind: address, principal, failed-logins, subscriptions");
    private final Metric.Histogram journalLatency = Kamon.histogram(
            "lumadb.journal.write.latency",
            "Latency of one journal group commit, fsync included",
            MeasurementUnit.time().nanoseconds());
    private final Metric.Histogram journalBatchEvents =
            Kamon.histogram("lumadb.journal.write.batch.events", "Events per journal group commit");
    private final Metric.Histogram journalBatchWrites = Kamon.histogram(
            "lumadb.journal.write.batch.atomic.writes", "Atomic writes (persist calls) per journal group commit");
    private final Metric.Histogram shardRecovery = Kamon.histogram(
            "lumadb.shard.recovery",
            "Time a shard took to start on this node: snapshot image (if its column family was empty or stale)"
                    + " plus the journal tail; tagged with from=image or from=journal",
            MeasurementUnit.time().milliseconds());
    private final Metric.Histogram shardRecoveryEvents = Kamon.histogram(
            "lumadb.shard.recovery.events", "Journal events a recovering shard applied to its column family");
    private final Metric.Gauge shardsHosted =
            Kamon.gauge("lumadb.shards.hosted", "Data shards (shard entities) running on this node");
    private final Metric.Gauge shardingShards =
            Kamon.gauge("lumadb.sharding.shards", "Cluster sharding shards allocated to this node");

    private final Metric.Gauge cdcSubscriptions =
            Kamon.gauge("lumadb.cdc.subscriptions", "Open change-stream and live-query subscriptions on this node");
    private final Metric.Gauge cdcBuffered = Kamon.gauge(
            "lumadb.cdc.buffered.events",
            "Shard events waiting in the buffers of this node's subscribers (queue depth)");
    private final Metric.Gauge cdcMaxLag = Kamon.gauge(
            "lumadb.cdc.lag.max.events", "The largest number of live shard events a subscriber has not delivered yet");
    private final Metric.Gauge cdcFeeds = Kamon.gauge("lumadb.cdc.feeds", "Live shard journal feeds on this node");
    private final Metric.Gauge cdcOverflows = Kamon.gauge(
            "lumadb.cdc.overflows", "Subscribers closed for overflowing their buffer since the node started");
    private final Metric.Gauge topicSubscribers =
            Kamon.gauge("lumadb.topics.subscribers", "Topic subscriptions on this node");
    private final Metric.Gauge topicQueued =
            Kamon.gauge("lumadb.topics.queued.messages", "Messages waiting in the buffers of topic subscribers");
    private final Metric.Gauge topicsActive =
            Kamon.gauge("lumadb.topics.active", "Topics with a topic actor on this node");
    private final Metric.Gauge topicPublished =
            Kamon.gauge("lumadb.topics.published", "Messages published through this node since it started");
    private final Metric.Gauge topicOverflows = Kamon.gauge(
            "lumadb.topics.overflows", "Topic subscribers closed for overflowing their buffer since the node started");

    private final Metric.Gauge storageWritable = Kamon.gauge(
            "lumadb.storage.writable",
            "1 while this node's storage can make writes durable, 0 while it cannot (disk full, I/O error);"
                    + " /ready answers 503 storage-unavailable meanwhile");
    private final Metric.Gauge reencrypted = Kamon.gauge(
            "lumadb.encryption.reencrypted.values",
            "Values rewritten under the active key by the background re-encryption since the node started");
    private final Metric.Gauge reencryptionRunning =
            Kamon.gauge("lumadb.encryption.reencryption.running", "1 while the background re-encryption runs, else 0");
    private final Metric.Gauge activeKeyId = Kamon.gauge(
            "lumadb.encryption.active.key.id", "The id of the key new writes are encrypted with (0: encryption off)");
    private final Metric.Gauge auditDropped = Kamon.gauge(
            "lumadb.audit.dropped.events",
            "Audit log entries dropped because the audit queue was full, since the node started (each is logged at WARN)");
    private final Metric.Gauge auditQueued =
            Kamon.gauge("lumadb.audit.queued.events", "Audit log entries waiting to be written to system/audit");
    private final Metric.Gauge auditWritten = Kamon.gauge(
            "lumadb.audit.written.events", "Audit log entries written to system/audit since the node started");
    private final Metric.Counter storageNoSpaceErrors = Kamon.counter(
            "lumadb.storage.no.space.errors",
            "Journal commits, flushes and compactions of this node's RocksDB that failed for lack of disk space");

    /** The instruments of one route, method and status, looked up once and then reused. */
    private record RequestInstruments(kamon.metric.Counter count, kamon.metric.Histogram latency) {}

    private final java.util.concurrent.ConcurrentHashMap<String, RequestInstruments> byRequest =
            new java.util.concurrent.ConcurrentHashMap<>();

    private NodeMetrics() {}

    /** Starts Kamon (once per JVM) with {@code config}; later calls reuse it. */
    static synchronized NodeMetrics start(Config config) {
        if (reporter == null) {
            Kamon.initWithoutAttaching(config);
            reporter = PrometheusReporter.create();
            Kamon.addReporter("lumadb-prometheus", reporter);
        }
        return new NodeMetrics();
    }

    /** Prometheus text of the last metrics tick ({@code kamon.metric.tick-interval}). */
    String scrape() {
        return reporter.scrapeData();
    }

    @Override
    public void record(String route, String method, int status, long nanos) {
        RequestInstruments instruments = byRequest.computeIfAbsent(route + ' ' + method + ' ' + status, key -> {
            // One tag set built at once: chained withTag calls would register partial series.
            TagSet tags = TagSet.builder()
                    .add("route", route)
                    .add("method", method)
                    .add("status", Integer.toString(status))
                    .build();
            return new RequestInstruments(requests.withTags(tags), requestLatency.withTags(tags));
        });
        instruments.count().increment();
        instruments.latency().record(nanos);
    }

    @Override
    public void limited(String kind) {
        rateLimited.withTag("kind", kind).increment();
    }

    void recordShardRecovery(String entityId, long millis, long eventsReplayed, boolean fromImage) {
        String from = fromImage ? "image" : "journal";
        shardRecovery.withTag("from", from).record(millis);
        shardRecoveryEvents.withTag("from", from).record(eventsReplayed);
    }

    void recordJournalWrite(long nanos, int atomicWrites, int events) {
        journalLatency.withoutTags().record(nanos);
        journalBatchEvents.withoutTags().record(events);
        journalBatchWrites.withoutTags().record(atomicWrites);
    }

    void streams(io.lumadb.cdc.ChangeStreams cdc, io.lumadb.cdc.topics.Topics topics) {
        cdcSubscriptions.withoutTags().update(cdc.subscriptions());
        cdcBuffered.withoutTags().update(cdc.bufferedEvents());
        cdcMaxLag.withoutTags().update(cdc.maxLagEvents());
        cdcFeeds.withoutTags().update(cdc.feeds());
        cdcOverflows.withoutTags().update(cdc.overflows());
        topicSubscribers.withoutTags().update(topics.subscribers());
        topicQueued.withoutTags().update(topics.queued());
        topicsActive.withoutTags().update(topics.activeTopics());
        topicPublished.withoutTags().update(topics.published());
        topicOverflows.withoutTags().update(topics.overflows());
    }

    private final Metric.Gauge tierDocuments = Kamon.gauge(
            "lumadb.tiering.documents", "Documents by tier: hot (this node's cache), cold (committed segments)");
    private final Metric.Gauge tierBytes = Kamon.gauge(
            "lumadb.tiering.bytes",
            "Bytes by tier: hot (this node's cache), cold (segment data, and stored with parity)");
    private final Metric.Gauge coldSegments =
            Kamon.gauge("lumadb.tiering.segments", "Cold segments in the manifest, and those damaged");
    private final Metric.Gauge coldReads = Kamon.gauge(
            "lumadb.tiering.cold.reads", "Reads of cold documents on this node since it started, by outcome");

    private final Metric.Gauge downsamplingLag = Kamon.gauge(
            "lumadb.timeseries.downsampling.lag",
            "Journal events the time-series shards on this node applied and their downsampling projections have not"
                    + " handled yet (the largest of one shard)");

    void downsampling(long lagEvents) {
        downsamplingLag.withoutTags().update(lagEvents);
    }

    void tiering(io.lumadb.tiering.Tiering.Counters c) {
        tierDocuments.withTag("tier", "hot").update(c.hotDocuments());
        tierBytes.withTag("tier", "hot").update(c.hotBytes());
        coldReads.withTag("outcome", "read").update(c.coldReads());
        coldReads.withTag("outcome", "degraded").update(c.degradedReads());
        coldReads.withTag("outcome", "failed").update(c.failedReads());
    }

    void tieringTotals(io.lumadb.tiering.TieringCoordinator.Totals t) {
        tierDocuments.withTag("tier", "cold").update(t.documents());
        tierBytes.withTag("tier", "cold").update(t.segmentBytes());
        tierBytes.withTag("tier", "cold-stored").update(t.storedBytes());
        coldSegments.withTag("state", "all").update(t.segments());
        coldSegments.withTag("state", "damaged").update(t.damaged());
    }

    void storageWritable(boolean writable) {
        storageWritable.withoutTags().update(writable ? 1 : 0);
    }

    void storageNoSpaceError() {
        storageNoSpaceErrors.withoutTags().increment();
    }

    void shards(int dataShards, int shardingShards) {
        shardsHosted.withoutTags().update(dataShards);
        this.shardingShards.withoutTags().update(shardingShards);
    }

    void audit(io.lumadb.security.audit.AuditWriter writer) {
        auditDropped.withoutTags().update(writer.dropped());
        auditQueued.withoutTags().update(writer.queued());
        auditWritten.withoutTags().update(writer.written());
    }

    void encryption(int keyId, long rewritten, boolean running) {
        activeKeyId.withoutTags().update(keyId);
        reencrypted.withoutTags().update(rewritten);
        reencryptionRunning.withoutTags().update(running ? 1 : 0);
    }
}
