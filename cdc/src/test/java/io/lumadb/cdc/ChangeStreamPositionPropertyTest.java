package io.lumadb.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.cdc.groups.ConsumerGroups;
import io.lumadb.shards.catalog.CollectionInfo;
import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.shard.ShardEvents;
import io.lumadb.shards.shard.TestShardEvents;
import io.lumadb.streams.SubscriberBuffer;
import io.lumadb.testkit.Property;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A change stream's position never rewinds and never skips: random shard journals (events of
 * several changes, empty events, changes the subscriber's filter leaves out), read in random page
 * sizes, on Pekko's in-memory journal. Every change comes once, in order per shard, each with the
 * position right after it; resuming from any delivered position (through its encoded string)
 * delivers exactly the changes after it; and a consumer group's members, each committing the
 * position of the last change it processed for the shards it owns, resume together without
 * losing or repeating a change. A failure prints the case and its seed; {@code -Dproperty.seed=}
 * that seed reruns it.
 */
@Timeout(300)
class ChangeStreamPositionPropertyTest {

    private static final AtomicLong incarnations = new AtomicLong();
    private static final byte[] DOCUMENT = "{\"n\":1}".getBytes(StandardCharsets.UTF_8);

    @RegisterExtension
    static final TestJournal journal = new TestJournal();

    /**
     * Per shard, the number of changes of each of its events (in sequence order from 1); the
     * changes the subscriber's filter leaves out ({@code shard/seq/index}); the catch-up page size;
     * where to resume (taken modulo the number of changes delivered plus one); and a consumer
     * group of {@code stops.size()} members, each processing {@code stop} (modulo what it gets)
     * changes before it commits.
     */
    record Scenario(List<List<Integer>> events, Set<String> hidden, int page, int cut, List<Integer> stops) {}

    /** A change as delivered: where it comes from, and the position it carries. */
    record Seen(int shard, long seq, int index, ResumeToken position) {
        @Override
        public String toString() {
            return shard + "/" + seq + "/" + index;
        }
    }

    private static Scenario scenario(RandomGenerator r) {
        int shards = 1 + r.nextInt(4);
        List<List<Integer>> events = new ArrayList<>();
        Set<String> hidden = new TreeSet<>();
        for (int shard = 0; shard < shards; shard++) {
            List<Integer> sizes = new ArrayList<>();
            int n = r.nextInt(7);
            for (int seq = 1; seq <= n; seq++) {
                int changes = r.nextInt(8) == 0 ? 0 : 1 + r.nextInt(4);
                sizes.add(changes);
                for (int i = 0; i < changes; i++) {
                    if (r.nextInt(4) == 0) {
                        hidden.add(shard + "/" + seq + "/" + i);
                    }
                }
            }
            events.add(sizes);
        }
        List<Integer> stops = new ArrayList<>();
        int members = 1 + r.nextInt(3);
        for (int m = 0; m < members; m++) {
            stops.add(r.nextInt(10_000));
        }
        return new Scenario(events, hidden, 1 + r.nextInt(4), r.nextInt(10_000), stops);
    }

    @Test
    void everyChangeComesOnceInOrderWithThePositionRightAfterIt() {
        Property.forAll(ChangeStreamPositionPropertyTest::scenario).tries(100).check(s -> {
            CollectionInfo info = write(s);
            List<Seen> all = read(
                    info,
                    s,
                    ResumeToken.beginning(info.incarnation(), s.events().size()),
                    null);
            assertEquals(visible(s), all.stream().map(Seen::toString).sorted().toList(), "every change once");
            for (int shard = 0; shard < s.events().size(); shard++) {
                int n = shard;
                List<Seen> ofShard = all.stream().filter(x -> x.shard() == n).toList();
                assertEquals(ofShard.stream().sorted(BY_CHANGE).toList(), ofShard, "in order on shard " + shard);
            }
            long[] previousSeqs = ResumeToken.beginning(0, s.events().size()).seqs();
            int[] previousSkips = new int[s.events().size()];
            Set<String> delivered = new HashSet<>();
            for (Seen x : all) {
                delivered.add(x.toString());
                long[] seqs = x.position().seqs();
                int[] skips = x.position().skips();
                boolean last = x.index() == s.events().get(x.shard()).get((int) x.seq() - 1) - 1;
                assertEquals(last ? x.seq() : x.seq() - 1, seqs[x.shard()], "seq right after " + x);
                assertEquals(last ? 0 : x.index() + 1, skips[x.shard()], "skip right after " + x);
                for (int shard = 0; shard < seqs.length; shard++) {
                    assertTrue(
                            compare(seqs[shard], skips[shard], previousSeqs[shard], previousSkips[shard]) >= 0,
                            "shard " + shard + " rewinds at " + x);
                    long[] next = nextUndelivered(s, shard, delivered);
                    if (next != null) {
                        assertTrue(
                                compare(seqs[shard], skips[shard], next[0] - 1, (int) next[1]) <= 0,
                                "shard " + shard + " skips " + shard + "/" + next[0] + "/" + next[1] + " at " + x);
                    }
                }
                previousSeqs = seqs;
                previousSkips = skips;
            }
        });
    }

    @Test
    void resumingFromAnyDeliveredPositionDeliversExactlyTheRest() {
        Property.forAll(ChangeStreamPositionPropertyTest::scenario).tries(100).check(s -> {
            CollectionInfo info = write(s);
            ResumeToken beginning =
                    ResumeToken.beginning(info.incarnation(), s.events().size());
            List<Seen> all = read(info, s, beginning, null);
            int cut = s.cut() % (all.size() + 1);
            ResumeToken from = cut == 0 ? beginning : all.get(cut - 1).position();
            List<Seen> rest = read(info, s, ResumeToken.decode(from.encode()), null);
            assertEquals(byShard(all.subList(cut, all.size())), byShard(rest), "resumed from " + from);
        });
    }

    @Test
    void aGroupsMembersResumeFromTheirMergedCommitsWithoutLossOrRepeat() {
        Property.forAll(ChangeStreamPositionPropertyTest::scenario).tries(100).check(s -> {
            CollectionInfo info = write(s);
            int shards = s.events().size();
            int members = s.stops().size();
            ResumeToken beginning = ResumeToken.beginning(info.incarnation(), shards);
            List<Seen> all = read(info, s, beginning, null);
            int cut = s.cut() % (all.size() + 1);
            ResumeToken from = cut == 0 ? beginning : all.get(cut - 1).position();
            long[] seqs = from.seqs();
            int[] skips = from.skips();
            List<List<Seen>> firstRuns = new ArrayList<>();
            for (int m = 0; m < members; m++) {
                ConsumerGroups.Member member = new ConsumerGroups.Member(m, members);
                List<Seen> got = read(info, s, from, member);
                for (Seen x : got) {
                    assertTrue(member.owns(x.shard()), "member " + m + " got " + x);
                    for (int shard = 0; shard < shards; shard++) {
                        if (!member.owns(shard)) {
                            assertEquals(from.seqs()[shard], x.position().seqs()[shard], "foreign shard " + shard);
                            assertEquals(from.skips()[shard], x.position().skips()[shard], "foreign shard " + shard);
                        }
                    }
                }
                int stop = s.stops().get(m) % (got.size() + 1);
                firstRuns.add(got.subList(0, stop));
                // The member commits the position of the last change it processed for its shards.
                ResumeToken committed = stop == 0 ? from : got.get(stop - 1).position();
                for (int shard = 0; shard < shards; shard++) {
                    if (member.owns(shard)) {
                        assertTrue(compare(committed.seqs()[shard], committed.skips()[shard], seqs[shard], skips[shard])
                                >= 0);
                        seqs[shard] = committed.seqs()[shard];
                        skips[shard] = committed.skips()[shard];
                    }
                }
            }
            ResumeToken merged = ResumeToken.decode(new ResumeToken(info.incarnation(), seqs, skips).encode());
            List<Seen> together = new ArrayList<>();
            for (int m = 0; m < members; m++) {
                together.addAll(firstRuns.get(m));
                together.addAll(read(info, s, merged, new ConsumerGroups.Member(m, members)));
            }
            assertEquals(byShard(all.subList(cut, all.size())), byShard(together), "merged " + merged);
        });
    }

    // ---- the journal and the subscription

    private static CollectionInfo write(Scenario s) {
        CollectionInfo info = new CollectionInfo("prop", "c", s.events().size(), incarnations.incrementAndGet(), 0);
        for (int shard = 0; shard < s.events().size(); shard++) {
            List<Object> events = new ArrayList<>();
            for (int size : s.events().get(shard)) {
                List<DocumentChange> changes = new ArrayList<>();
                for (int i = 0; i < size; i++) {
                    changes.add(new DocumentChange("d" + i, DocumentChange.Op.UPDATED, events.size() + 1, DOCUMENT));
                }
                events.add(TestShardEvents.written(changes));
            }
            if (!events.isEmpty()) {
                journal.persist(ShardEvents.persistenceId(info.shardEntityId(shard)), events);
            }
        }
        return info;
    }

    /** Everything a subscription from {@code from} delivers until it is caught up (its first heartbeat). */
    private static List<Seen> read(CollectionInfo info, Scenario s, ResumeToken from, ConsumerGroups.Member member)
            throws Exception {
        ChangeSubscription subscription = new ChangeSubscription(
                info,
                from,
                journal.feeds(),
                e -> s.hidden().contains(e.shard() + "/" + e.seq() + "/" + e.index())
                        ? null
                        : new StreamItem.Change("change", e, null),
                new SubscriberBuffer<>(16, new AtomicLong()),
                s.page(),
                1024 * 1024,
                Duration.ofMillis(1),
                false,
                member == null ? ConsumerGroups.Member.ALL : member);
        List<Seen> seen = new ArrayList<>();
        try {
            for (int step = 0; step < 10_000; step++) {
                for (StreamItem item : subscription.next().toCompletableFuture().get(10, TimeUnit.SECONDS)) {
                    switch (item) {
                        case StreamItem.Change c ->
                            seen.add(new Seen(
                                    c.event().shard(),
                                    c.event().seq(),
                                    c.event().index(),
                                    c.position()));
                        case StreamItem.Heartbeat h -> {
                            assertEquals(end(s, from, member), h.position(), "caught up");
                            return seen;
                        }
                        default -> throw new AssertionError("unexpected " + item + " after " + seen);
                    }
                }
            }
            throw new AssertionError("never caught up: " + seen);
        } finally {
            subscription.close();
        }
    }

    /** Where a caught-up subscription stands: after every event of its shards, the others untouched. */
    private static ResumeToken end(Scenario s, ResumeToken from, ConsumerGroups.Member member) {
        long[] seqs = from.seqs();
        int[] skips = from.skips();
        for (int shard = 0; shard < seqs.length; shard++) {
            if (member == null || member.owns(shard)) {
                seqs[shard] = s.events().get(shard).size();
                skips[shard] = 0;
            }
        }
        return new ResumeToken(from.incarnation(), seqs, skips);
    }

    // ---- expectations

    private static final Comparator<Seen> BY_CHANGE =
            Comparator.comparingInt(Seen::shard).thenComparingLong(Seen::seq).thenComparingInt(Seen::index);

    private static List<String> visible(Scenario s) {
        List<String> out = new ArrayList<>();
        for (int shard = 0; shard < s.events().size(); shard++) {
            List<Integer> sizes = s.events().get(shard);
            for (int seq = 1; seq <= sizes.size(); seq++) {
                for (int i = 0; i < sizes.get(seq - 1); i++) {
                    String key = shard + "/" + seq + "/" + i;
                    if (!s.hidden().contains(key)) {
                        out.add(key);
                    }
                }
            }
        }
        return out.stream().sorted().toList();
    }

    /** The first visible change of {@code shard} not delivered yet, as {seq, index}; null if none. */
    private static long[] nextUndelivered(Scenario s, int shard, Set<String> delivered) {
        List<Integer> sizes = s.events().get(shard);
        long[] next = null;
        for (int seq = sizes.size(); seq >= 1; seq--) {
            for (int i = sizes.get(seq - 1) - 1; i >= 0; i--) {
                String key = shard + "/" + seq + "/" + i;
                if (s.hidden().contains(key)) {
                    continue;
                }
                if (delivered.contains(key)) {
                    return next;
                }
                next = new long[] {seq, i};
            }
        }
        return next;
    }

    /** Per shard, the changes in delivery order (the order between shards is free). */
    private static List<List<String>> byShard(List<Seen> seen) {
        int shards = seen.stream().mapToInt(Seen::shard).max().orElse(-1) + 1;
        List<List<String>> out = new ArrayList<>();
        for (int shard = 0; shard < shards; shard++) {
            int n = shard;
            out.add(seen.stream()
                    .filter(x -> x.shard() == n)
                    .map(Seen::toString)
                    .toList());
        }
        return out;
    }

    /** Positions on one shard in stream order: by completed event, then by changes of the next. */
    private static int compare(long seqA, int skipA, long seqB, int skipB) {
        int c = Long.compare(seqA, seqB);
        return c != 0 ? c : Integer.compare(skipA, skipB);
    }
}
