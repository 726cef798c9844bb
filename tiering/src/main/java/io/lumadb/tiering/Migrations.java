package io.lumadb.tiering;

import io.lumadb.shards.Catalog;
import io.lumadb.shards.Documents;
import io.lumadb.shards.Queries;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.DocumentJson;
import io.lumadb.shards.shard.ShardEntity;
import io.lumadb.shards.store.ColdTier;
import io.lumadb.tiering.TieringCoordinator.Command;
import io.lumadb.tiering.TieringCoordinator.Reply;
import io.lumadb.tiering.TieringCoordinator.Segment;
import io.lumadb.tiering.fragment.SegmentDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;

/**
 * The jobs of the {@link TieringCoordinator}, run outside the actor as chains of asynchronous
 * steps: every change to the manifest is asked of the coordinator (which persists it), every
 * change to a shard is asked of the shard.
 */
final class Migrations {

    /** What a job sees of the manifest: a copy taken when it starts. */
    record Manifest(
            Map<String, Policy> policies,
            List<Segment> segments,
            Map<String, List<TieringCoordinator.Sample>> samples) {}

    private final ActorSystem<?> system;
    private final Catalog catalog;
    private final Documents documents;
    private final TieringSettings settings;
    private final ColdStorage storage;

    Migrations(
            ActorSystem<?> system,
            Catalog catalog,
            Documents documents,
            TieringSettings settings,
            ColdStorage storage) {
        this.system = system;
        this.catalog = catalog;
        this.documents = documents;
        this.settings = settings;
        this.storage = storage;
    }

    String coderName() {
        return storage.coderName();
    }

    CompletionStage<Reply> run(TieringCoordinator.Job job, Manifest manifest, ActorRef<Command> self) {
        return switch (job) {
            case TieringCoordinator.MoveJob move ->
                finishPending(manifest, self).thenCompose(x -> move(move.collection(), move.filter(), self));
            case TieringCoordinator.PolicyJob p ->
                finishPending(manifest, self).thenCompose(x -> applyPolicies(manifest, self));
            case TieringCoordinator.ScrubJob s -> scrub(manifest, self);
            case TieringCoordinator.DropJob d -> drop(manifest, d.shard(), self);
        };
    }

    static String describe(TieringCoordinator.Job job) {
        return switch (job) {
            case TieringCoordinator.MoveJob m -> "moving " + m.collection();
            case TieringCoordinator.PolicyJob p -> "applying the policies";
            case TieringCoordinator.ScrubJob s -> "a scrub";
            case TieringCoordinator.DropJob d -> "deleting the segments of shard " + d.shard();
        };
    }

    static String describe(Throwable failure) {
        Throwable cause = Documents.unwrap(failure);
        return cause.getClass().getSimpleName() + ": " + cause.getMessage();
    }

    // ---- moves

    /** The counters of a move. */
    private record Tally(long documents, int segments, long bytes) {
        Tally plus(Tally other) {
            return new Tally(documents + other.documents, segments + other.segments, bytes + other.bytes);
        }
    }

    private CompletionStage<Reply> move(String collection, String filter, ActorRef<Command> self) {
        return collection(collection)
                .thenCompose(info -> {
                    Sealer.Request request = request(true, -1, null, 0, filter);
                    return eachShard(info, shard -> sealAll(collection, info, shard, request, null, self));
                })
                .thenApply(t -> new TieringCoordinator.Moved(t.documents(), t.segments(), t.bytes()));
    }

    private CompletionStage<Tally> eachShard(CollectionInfo info, Function<Integer, CompletionStage<Tally>> step) {
        CompletionStage<Tally> chain = CompletableFuture.completedFuture(new Tally(0, 0, 0));
        for (int shard = 0; shard < info.shards(); shard++) {
            int n = shard;
            chain = chain.thenCompose(t -> step.apply(n).thenApply(t::plus));
        }
        return chain;
    }

    private Sealer.Request request(boolean all, long maxVersion, String timePath, long olderThan, String filter) {
        return new Sealer.Request(
                null,
                all,
                maxVersion,
                timePath,
                olderThan,
                filter,
                settings.segmentsPerStep(),
                settings.segmentBytes(),
                settings.scanPerStep(),
                List.of());
    }

    /** Seals the shard's selected documents step by step, from {@code after} to its end. */
    private CompletionStage<Tally> sealAll(
            String collection,
            CollectionInfo info,
            int shard,
            Sealer.Request base,
            String after,
            ActorRef<Command> self) {
        Sealer.Request request = new Sealer.Request(
                after,
                base.all(),
                base.maxVersion(),
                base.timePath(),
                base.olderThanEpochMillis(),
                base.filter(),
                base.maxSegments(),
                base.segmentBytes(),
                base.scanLimit(),
                storage.placement(ThreadLocalRandom.current().nextInt(ColdStorage.FRAGMENTS)));
        return documents
                .ask(
                        info,
                        shard,
                        r -> new ShardEntity.Extension(
                                Tiering.SEAL, json(request), info.indexesVersion(), info.indexes(), r),
                        settings.stepTimeout())
                .thenApply(reply -> read(answer(reply), Sealer.Answer.class))
                .thenCompose(answer -> {
                    CompletionStage<Tally> chain = CompletableFuture.completedFuture(new Tally(0, 0, 0));
                    for (Sealer.Sealed sealed : answer.segments()) {
                        chain = chain.thenCompose(t ->
                                finish(collection, info, shard, sealed, self).thenApply(t::plus));
                    }
                    if (answer.next() == null) {
                        return chain;
                    }
                    return chain.thenCompose(t -> sealAll(collection, info, shard, base, answer.next(), self)
                            .thenApply(t::plus));
                });
    }

    /** Records a sealed segment, has the shard point to it, and commits it. */
    private CompletionStage<Tally> finish(
            String collection, CollectionInfo info, int shard, Sealer.Sealed sealed, ActorRef<Command> self) {
        SegmentDescriptor d = sealed.descriptor();
        return this.<Reply>askSelf(self, r -> new TieringCoordinator.Record(collection, d, r))
                .thenCompose(done -> point(info, shard, d, sealed.entries(), self))
                .thenApply(cooled -> new Tally(cooled, 1, d.segmentLength()));
    }

    /** Has the shard persist the pointers, then marks the segment committed. */
    private CompletionStage<Integer> point(
            CollectionInfo info, int shard, SegmentDescriptor d, List<ColdTier.Entry> entries, ActorRef<Command> self) {
        return documents
                .ask(info, shard, r -> new ShardEntity.Cool(entries, r), settings.stepTimeout())
                .thenCompose(reply -> {
                    if (!(reply instanceof ShardEntity.Cooled cooled)) {
                        throw new IllegalStateException("shard " + info.shardEntityId(shard) + " answered " + reply);
                    }
                    return this.<Reply>askSelf(
                                    self, r -> new TieringCoordinator.Commit(d.segmentId(), cooled.documents(), r))
                            .thenApply(done -> cooled.documents());
                });
    }

    private CompletionStage<CollectionInfo> collection(String collection) {
        int slash = collection.indexOf('/');
        return catalog.resolve(collection.substring(0, slash), collection.substring(slash + 1), false);
    }

    // ---- recovery of interrupted steps

    /**
     * Points the shards to every segment recorded but not committed (a crash came between the
     * two): the pointers come from the segment itself. A segment whose collection is gone is
     * deleted.
     */
    private CompletionStage<Void> finishPending(Manifest manifest, ActorRef<Command> self) {
        CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
        for (Segment segment : manifest.segments()) {
            if (segment.committed()) {
                continue;
            }
            chain = chain.thenCompose(x -> finishPending(segment, self));
        }
        return chain;
    }

    private CompletionStage<Void> finishPending(Segment segment, ActorRef<Command> self) {
        SegmentDescriptor d = segment.descriptor();
        ShardName name = ShardName.parse(d.shard());
        return catalog.resolve(name.database(), name.collection(), false)
                .handle((info, failure) -> failure == null && info.incarnation() == name.incarnation() ? info : null)
                .thenCompose(info -> {
                    if (info == null) {
                        return CompletableFuture.supplyAsync(
                                        () -> {
                                            storage.delete(d);
                                            return null;
                                        },
                                        storage.executor())
                                .thenCompose(x ->
                                        askSelf(self, r -> new TieringCoordinator.Forget(List.of(d.segmentId()), r)))
                                .thenApply(x -> null);
                    }
                    return CompletableFuture.supplyAsync(() -> storage.entries(d), storage.executor())
                            .thenCompose(entries -> point(info, name.shard(), d, entries, self))
                            .thenApply(x -> null);
                });
    }

    // ---- policies

    private CompletionStage<Reply> applyPolicies(Manifest manifest, ActorRef<Command> self) {
        long now = System.currentTimeMillis();
        CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
        for (Map.Entry<String, Policy> entry : manifest.policies().entrySet()) {
            String collection = entry.getKey();
            Policy policy = entry.getValue();
            chain = chain.thenCompose(x -> collection(collection)
                    .thenCompose(info -> sample(info, policy, manifest, now, self)
                            .thenCompose(sampled -> eachShard(info, shard -> {
                                long maxVersion = policy.idleForMillis() == 0
                                        ? -1
                                        : cutoff(
                                                sampled.getOrDefault(info.shardEntityId(shard), List.of()),
                                                now - policy.idleForMillis());
                                if (maxVersion < 0 && policy.timePath() == null) {
                                    return CompletableFuture.completedFuture(new Tally(0, 0, 0));
                                }
                                Sealer.Request request = request(
                                        false,
                                        maxVersion,
                                        policy.timePath(),
                                        policy.timePath() == null ? 0 : now - policy.olderThanMillis(),
                                        null);
                                return sealAll(collection, info, shard, request, null, self);
                            })))
                    .handle((t, failure) -> {
                        if (failure != null) {
                            system.log().warn("Cold tier: the policy of {} failed: {}", collection, describe(failure));
                        }
                        return null;
                    }));
        }
        return chain.thenApply(x -> TieringCoordinator.Done.INSTANCE);
    }

    /**
     * The highest version a shard had at or before {@code before}: documents at or below it have
     * not been written since. -1 when no sample is that old.
     */
    static long cutoff(List<TieringCoordinator.Sample> samples, long before) {
        long best = -1;
        for (TieringCoordinator.Sample s : samples) {
            if (s.atMillis() <= before) {
                best = Math.max(best, s.lastVersion());
            }
        }
        return best;
    }

    /**
     * Samples the last version of each shard of a collection with an idle rule, when its newest
     * sample is older than the sample interval, and answers the samples including the new ones.
     */
    private CompletionStage<Map<String, List<TieringCoordinator.Sample>>> sample(
            CollectionInfo info, Policy policy, Manifest manifest, long now, ActorRef<Command> self) {
        Map<String, List<TieringCoordinator.Sample>> samples = new HashMap<>(manifest.samples());
        if (policy.idleForMillis() == 0) {
            return CompletableFuture.completedFuture(samples);
        }
        List<CompletableFuture<Map.Entry<String, Long>>> asks = new ArrayList<>();
        for (int shard = 0; shard < info.shards(); shard++) {
            String id = info.shardEntityId(shard);
            List<TieringCoordinator.Sample> held = samples.getOrDefault(id, List.of());
            if (!held.isEmpty()
                    && held.getLast().atMillis()
                            > now - settings.sampleInterval().toMillis()) {
                continue;
            }
            asks.add(documents
                    .ask(info, shard, ShardEntity.GetMeta::new)
                    .thenApply(reply ->
                            Map.entry(id, ((ShardEntity.Meta) reply).meta().lastVersion()))
                    .toCompletableFuture());
        }
        return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new)).thenCompose(x -> {
            Map<String, Long> versions = new HashMap<>();
            asks.forEach(a -> versions.put(a.join().getKey(), a.join().getValue()));
            versions.forEach((id, v) -> {
                List<TieringCoordinator.Sample> list = new ArrayList<>(samples.getOrDefault(id, List.of()));
                list.add(new TieringCoordinator.Sample(now, v));
                samples.put(id, list);
            });
            return this.<Reply>askSelf(self, r -> new TieringCoordinator.Sampled(versions, now, r))
                    .thenApply(done -> samples);
        });
    }

    // ---- scrub and drop

    private CompletionStage<Reply> scrub(Manifest manifest, ActorRef<Command> self) {
        int[] repaired = {0};
        List<String> damaged = new ArrayList<>();
        CompletionStage<Void> chain = CompletableFuture.completedFuture(null);
        int segments = 0;
        for (Segment segment : manifest.segments()) {
            if (!segment.committed()) {
                continue;
            }
            segments++;
            chain = chain.thenCompose(x -> CompletableFuture.supplyAsync(
                            () -> storage.scrub(segment.descriptor()), storage.executor())
                    .thenCompose(outcome -> {
                        repaired[0] += outcome.repaired();
                        if (outcome.damage() != null) {
                            damaged.add(segment.descriptor().segmentId() + ": " + outcome.damage());
                        }
                        return askSelf(
                                self, r -> new TieringCoordinator.Scrubbed(outcome.descriptor(), outcome.damage(), r));
                    })
                    .thenApply(done -> null));
        }
        int count = segments;
        // Fragments of segments the manifest does not know, older than the grace period (a seal
        // in progress has written fragments it has not recorded yet).
        java.util.Set<String> known = new java.util.HashSet<>();
        manifest.segments().forEach(s -> known.add(s.descriptor().segmentId()));
        int[] orphans = {0};
        chain = chain.thenCompose(x -> CompletableFuture.runAsync(
                () -> orphans[0] =
                        storage.deleteOrphans(known, settings.orphanGrace().toMillis()),
                storage.executor()));
        return chain.thenApply(
                x -> new TieringCoordinator.ScrubDone(count, repaired[0], List.copyOf(damaged), orphans[0]));
    }

    private CompletionStage<Reply> drop(Manifest manifest, String shard, ActorRef<Command> self) {
        List<SegmentDescriptor> gone = manifest.segments().stream()
                .map(Segment::descriptor)
                .filter(d -> d.shard().equals(shard))
                .toList();
        if (gone.isEmpty()) {
            return CompletableFuture.completedFuture(TieringCoordinator.Done.INSTANCE);
        }
        return CompletableFuture.supplyAsync(
                        () -> {
                            gone.forEach(storage::delete);
                            return null;
                        },
                        storage.executor())
                .thenCompose(x -> askSelf(
                        self,
                        r -> new TieringCoordinator.Forget(
                                gone.stream().map(SegmentDescriptor::segmentId).toList(), r)));
    }

    // ---- plumbing

    private <T extends Reply> CompletionStage<T> askSelf(
            ActorRef<Command> self, Function<ActorRef<Reply>, Command> message) {
        return AskPattern.<Command, Reply>ask(self, message::apply, settings.stepTimeout(), system.scheduler())
                .thenApply(reply -> {
                    if (reply instanceof TieringCoordinator.Failed f) {
                        throw new IllegalStateException(f.message());
                    }
                    @SuppressWarnings("unchecked")
                    T t = (T) reply;
                    return t;
                });
    }

    private static byte[] answer(ShardEntity.Reply reply) {
        return switch (reply) {
            case ShardEntity.ExtensionAnswered a -> a.answer();
            case ShardEntity.QueryFailed f -> throw Queries.failure(f);
            default -> throw new IllegalStateException("unexpected answer " + reply);
        };
    }

    static byte[] json(Object value) {
        try {
            return DocumentJson.mapper().writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static <T> T read(byte[] bytes, Class<T> type) {
        try {
            return DocumentJson.mapper().readValue(bytes, type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A shard entity id, {@code <database>/<collection>/<incarnation>/<n>}, taken apart. */
    record ShardName(String database, String collection, long incarnation, int shard) {
        static ShardName parse(String name) {
            String[] parts = name.split("/");
            if (parts.length != 4) {
                throw new IllegalArgumentException("not a shard name: " + name);
            }
            return new ShardName(parts[0], parts[1], Long.parseLong(parts[2]), Integer.parseInt(parts[3]));
        }
    }
}
