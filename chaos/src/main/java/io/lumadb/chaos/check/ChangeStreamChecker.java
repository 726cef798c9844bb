package io.lumadb.chaos.check;

import io.lumadb.cdc.ResumeToken;
import io.lumadb.chaos.history.ChangeSeen;
import io.lumadb.chaos.history.Op;
import io.lumadb.chaos.history.Verdict;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Checks a collection's change stream against a reference read of it and against the writes the
 * clients had acknowledged. The reference is the whole stream read from the beginning after the
 * run; a change is placed by its coordinates (shard, the shard event's seq, the change's index in
 * that event) and names the document's id and version.
 *
 * <p>Three verdicts:
 *
 * <ul>
 *   <li>{@value #COMPLETE}: the reference itself is well formed (per shard, it starts at an event's
 *       first change and each change is followed by the next change of the same event or by the
 *       first change of the next event: seqs contiguous, indexes {@code 0..k-1} within a seq, no
 *       coordinate twice, nothing out of order), and every acknowledged write (id, version) is in
 *       it exactly once.
 *   <li>{@value #EXACTLY_ONCE}: each consumer received no coordinate twice, and on each shard a
 *       contiguous run of the reference: once it has a change of a shard, the next change it gets
 *       from that shard is the reference's next one (a consumer may start late and stop early).
 *       Every change it got carries the reference's id and version at those coordinates.
 *   <li>{@value #TOKENS}: along each consumer's changes, in the order received, the resume token's
 *       position never moves back on any shard (positions compare by (seq, skip)).
 * </ul>
 */
public final class ChangeStreamChecker {

    /** The name of the completeness verdict. */
    public static final String COMPLETE = "change stream complete";
    /** The name of the per-consumer delivery verdict. */
    public static final String EXACTLY_ONCE = "change stream exactly once, no gaps";
    /** The name of the token verdict. */
    public static final String TOKENS = "resume tokens never rewind";

    /**
     * A change stream position per shard: the last event delivered completely ({@code -1}: before
     * everything) and how many changes of the next event were delivered already.
     */
    public record Positions(long[] seqs, int[] skips) {

        public Positions {
            if (seqs.length != skips.length) {
                throw new IllegalArgumentException(
                        "one skip per seq: " + seqs.length + " seqs, " + skips.length + " skips");
            }
            seqs = seqs.clone();
            skips = skips.clone();
        }

        @Override
        public long[] seqs() {
            return seqs.clone();
        }

        @Override
        public int[] skips() {
            return skips.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Positions p && Arrays.equals(p.seqs, seqs) && Arrays.equals(p.skips, skips);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(seqs) * 31 + Arrays.hashCode(skips);
        }

        @Override
        public String toString() {
            return "Positions" + Arrays.toString(seqs) + Arrays.toString(skips);
        }
    }

    /** Decodes a resume token into positions; throws {@link IllegalArgumentException} if it cannot. */
    @FunctionalInterface
    public interface TokenDecoder {
        Positions decode(String token);
    }

    /** LumaDB's own tokens, {@link ResumeToken#decode(String)}. */
    public static final TokenDecoder RESUME_TOKENS = token -> {
        ResumeToken t = ResumeToken.decode(token);
        return new Positions(t.seqs(), t.skips());
    };

    private final TokenDecoder decoder;
    private final boolean eventsMayBeEmpty;

    /** A checker of LumaDB's tokens, for streams where every shard event carries a change. */
    public ChangeStreamChecker() {
        this(RESUME_TOKENS, false);
    }

    /**
     * A checker.
     *
     * @param decoder how to read the tokens
     * @param eventsMayBeEmpty whether a shard event may carry no change at all (a move of bodies
     *     to the cold tier does not change a document): then a seq may be missing from the
     *     reference, and only the indexes within a seq must be contiguous
     */
    public ChangeStreamChecker(TokenDecoder decoder, boolean eventsMayBeEmpty) {
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.eventsMayBeEmpty = eventsMayBeEmpty;
    }

    /**
     * All three verdicts: {@value #COMPLETE}, {@value #EXACTLY_ONCE}, {@value #TOKENS}, in that
     * order.
     *
     * @param consumers the changes all consumers received, each consumer's in the order received
     * @param reference the reference read of the stream, in the order read
     * @param history the acknowledged writes; any operations may be passed, only {@link
     *     Op.Outcome#OK} writes, CASes and inserts are taken (see {@link #complete})
     */
    public List<Verdict> check(List<ChangeSeen> consumers, List<ChangeSeen> reference, List<Op> history) {
        return List.of(complete(reference, history), exactlyOnce(consumers, reference), tokensNeverRewind(consumers));
    }

    /**
     * Whether the reference is well formed and holds every acknowledged write exactly once. Of
     * {@code history} only {@link Op.Outcome#OK} {@link Op.Type#WRITE}s, {@link Op.Type#CAS}es and
     * {@link Op.Type#INSERT}s count, matched by document id ({@code key}) and acknowledged
     * version; one without a version cannot be matched and is only counted.
     */
    public Verdict complete(List<ChangeSeen> reference, List<Op> history) {
        List<String> anomalies = new ArrayList<>();
        Reference ref = new Reference(reference, eventsMayBeEmpty, anomalies);
        int streamAnomalies = anomalies.size();

        Map<String, List<Op>> acknowledged = new TreeMap<>();
        int withoutVersion = 0;
        for (Op op : history) {
            if (op.outcome() != Op.Outcome.OK || op.type() == Op.Type.READ) {
                continue;
            }
            if (op.version() == null) {
                withoutVersion++;
            } else {
                acknowledged
                        .computeIfAbsent(idVersion(op.key(), op.version()), k -> new ArrayList<>())
                        .add(op);
            }
        }
        int missing = 0;
        int repeated = 0;
        int sameVersion = 0;
        for (Map.Entry<String, List<Op>> e : acknowledged.entrySet()) {
            List<Op> ops = e.getValue();
            if (ops.size() > 1) {
                sameVersion++;
                anomalies.add("acknowledged at the same version " + e.getKey() + ": "
                        + ops.stream().map(Op::toString).collect(Collectors.joining(", ")));
            }
            List<ChangeSeen> found = ref.byIdVersion.getOrDefault(e.getKey(), List.of());
            if (found.isEmpty()) {
                missing++;
                anomalies.add("acknowledged write missing from the change stream: " + e.getKey() + " (" + ops.getFirst()
                        + ")");
            } else if (found.size() > 1) {
                repeated++;
                anomalies.add(
                        "acknowledged write " + e.getKey() + " is in the change stream " + found.size() + " times: "
                                + found.stream().map(ChangeStreamChecker::at).collect(Collectors.joining(", ")));
            }
        }
        String summary = "reference: " + ref.size() + " changes on " + ref.byShard.size() + " shards, "
                + streamAnomalies + " stream anomalies; " + acknowledged.size() + " acknowledged writes: " + missing
                + " missing, " + repeated + " more than once, " + sameVersion + " sharing a version"
                + (withoutVersion > 0 ? " (" + withoutVersion + " acknowledged without a version, not checked)" : "");
        return new Verdict(COMPLETE, anomalies.isEmpty(), summary, anomalies, List.of());
    }

    /**
     * Whether each consumer got every change of the reference at most once, without gaps on a
     * shard once it started receiving from it, and with the reference's id and version.
     */
    public Verdict exactlyOnce(List<ChangeSeen> consumers, List<ChangeSeen> reference) {
        Reference ref = new Reference(reference, eventsMayBeEmpty, new ArrayList<>());
        List<String> anomalies = new ArrayList<>();
        int duplicates = 0;
        int gaps = 0;
        int missed = 0;
        int mismatches = 0;
        int unknown = 0;
        int outOfOrder = 0;
        Map<String, List<ChangeSeen>> byConsumer = byConsumer(consumers);
        for (Map.Entry<String, List<ChangeSeen>> e : byConsumer.entrySet()) {
            String consumer = e.getKey();
            Map<Coordinates, ChangeSeen> delivered = new HashMap<>();
            Map<Integer, Integer> last = new HashMap<>(); // per shard, the furthest reference position
            for (ChangeSeen c : e.getValue()) {
                Coordinates at = Coordinates.of(c);
                ChangeSeen earlier = delivered.putIfAbsent(at, c);
                if (earlier != null) {
                    duplicates++;
                    anomalies.add("duplicate: " + consumer + " received " + at + " twice, at " + millis(earlier)
                            + " and " + millis(c));
                    continue;
                }
                Integer p = ref.position.get(at);
                if (p == null) {
                    unknown++;
                    anomalies.add("not in the reference: " + consumer + " received " + describe(c));
                    continue;
                }
                List<ChangeSeen> shard = ref.byShard.get(c.shard());
                ChangeSeen expected = shard.get(p);
                if (!Objects.equals(expected.id(), c.id()) || expected.version() != c.version()) {
                    mismatches++;
                    anomalies.add("mismatch: " + consumer + " received " + describe(c) + " where the reference has "
                            + expected.id() + "@" + expected.version());
                }
                Integer before = last.get(c.shard());
                if (before == null || p == before + 1) {
                    last.put(c.shard(), p);
                } else if (p > before + 1) {
                    gaps++;
                    missed += p - before - 1;
                    anomalies.add("gap: " + consumer + " received " + at + " right after "
                            + Coordinates.of(shard.get(before)) + ", missing "
                            + range(shard.subList(before + 1, p)));
                    last.put(c.shard(), p);
                } else {
                    outOfOrder++;
                    anomalies.add("out of order: " + consumer + " received " + at + " after "
                            + Coordinates.of(shard.get(before)));
                }
            }
        }
        String summary = byConsumer.size() + " consumers received " + consumers.size() + " changes: " + duplicates
                + " duplicates, " + gaps + " gaps (" + missed + " changes missed), " + outOfOrder + " out of order, "
                + mismatches + " mismatches, " + unknown + " not in the reference";
        return new Verdict(EXACTLY_ONCE, anomalies.isEmpty(), summary, anomalies, List.of());
    }

    /**
     * Whether along each consumer's changes, in the order received, no token's position on any
     * shard is before the previous token's. Changes without a token are skipped; a token that
     * does not decode, or that names another number of shards, is an anomaly.
     */
    public Verdict tokensNeverRewind(List<ChangeSeen> consumers) {
        List<String> anomalies = new ArrayList<>();
        int tokens = 0;
        int without = 0;
        int rewinds = 0;
        int malformed = 0;
        Map<String, List<ChangeSeen>> byConsumer = byConsumer(consumers);
        for (Map.Entry<String, List<ChangeSeen>> e : byConsumer.entrySet()) {
            String consumer = e.getKey();
            Positions previous = null;
            ChangeSeen previousChange = null;
            for (ChangeSeen c : e.getValue()) {
                if (c.token() == null || c.token().isEmpty()) {
                    without++;
                    continue;
                }
                tokens++;
                Positions current;
                try {
                    current = decoder.decode(c.token());
                } catch (RuntimeException ex) {
                    malformed++;
                    anomalies.add("malformed token: " + consumer + " received " + c.token() + " with "
                            + Coordinates.of(c) + ": " + ex.getMessage());
                    continue;
                }
                if (previous != null) {
                    long[] ps = previous.seqs;
                    long[] cs = current.seqs;
                    if (ps.length != cs.length) {
                        malformed++;
                        anomalies.add("token changed its shard count: " + consumer + " had " + ps.length
                                + " shards up to " + Coordinates.of(previousChange) + ", then " + cs.length + " with "
                                + Coordinates.of(c));
                    } else {
                        for (int shard = 0; shard < cs.length; shard++) {
                            int skip = current.skips[shard];
                            int prevSkip = previous.skips[shard];
                            if (cs[shard] < ps[shard] || (cs[shard] == ps[shard] && skip < prevSkip)) {
                                rewinds++;
                                anomalies.add("rewind: " + consumer + "'s token went back on shard " + shard
                                        + " from (seq " + ps[shard] + ", skip " + prevSkip + ") with "
                                        + Coordinates.of(previousChange) + " to (seq " + cs[shard] + ", skip " + skip
                                        + ") with " + Coordinates.of(c));
                            }
                        }
                    }
                }
                previous = current;
                previousChange = c;
            }
        }
        String summary = byConsumer.size() + " consumers, " + tokens + " tokens: " + rewinds + " rewinds, " + malformed
                + " malformed" + (without > 0 ? " (" + without + " changes came without a token)" : "");
        return new Verdict(TOKENS, anomalies.isEmpty(), summary, anomalies, List.of());
    }

    private static Map<String, List<ChangeSeen>> byConsumer(List<ChangeSeen> changes) {
        Map<String, List<ChangeSeen>> out = new LinkedHashMap<>();
        for (ChangeSeen c : changes) {
            out.computeIfAbsent(c.consumer(), k -> new ArrayList<>()).add(c);
        }
        return out;
    }

    private static String idVersion(String id, long version) {
        return id + "@" + version;
    }

    private static String describe(ChangeSeen c) {
        return Coordinates.of(c) + " " + idVersion(c.id(), c.version());
    }

    private static String at(ChangeSeen c) {
        return Coordinates.of(c).toString();
    }

    private static String millis(ChangeSeen c) {
        return c.atNanos() / 1_000_000 + " ms";
    }

    private static String range(List<ChangeSeen> changes) {
        Coordinates first = Coordinates.of(changes.getFirst());
        if (changes.size() == 1) {
            return first + " (1 change)";
        }
        return first + " .. " + Coordinates.of(changes.getLast()) + " (" + changes.size() + " changes)";
    }

    /** Where a change sits in the stream. */
    private record Coordinates(int shard, long seq, int index) implements Comparable<Coordinates> {

        static Coordinates of(ChangeSeen c) {
            return new Coordinates(c.shard(), c.seq(), c.index());
        }

        @Override
        public int compareTo(Coordinates o) {
            int c = Integer.compare(shard, o.shard);
            if (c == 0) {
                c = Long.compare(seq, o.seq);
            }
            return c != 0 ? c : Integer.compare(index, o.index);
        }

        @Override
        public String toString() {
            return "(shard " + shard + ", seq " + seq + ", index " + index + ")";
        }
    }

    /**
     * The reference read, indexed: per shard its distinct changes in stream order, each change's
     * place there, and the changes per document id and version. Building it checks its form.
     */
    private static final class Reference {

        final Map<Integer, List<ChangeSeen>> byShard = new TreeMap<>();
        final Map<Coordinates, Integer> position = new HashMap<>();
        final Map<String, List<ChangeSeen>> byIdVersion = new HashMap<>();

        Reference(List<ChangeSeen> reference, boolean eventsMayBeEmpty, List<String> anomalies) {
            Set<Coordinates> seen = new HashSet<>();
            Map<Integer, Coordinates> last = new HashMap<>();
            for (ChangeSeen c : reference) {
                Coordinates at = Coordinates.of(c);
                if (!seen.add(at)) {
                    anomalies.add("reference has " + at + " twice");
                    continue;
                }
                Coordinates before = last.get(c.shard());
                if (before == null) {
                    if (at.index() != 0) {
                        anomalies.add("reference starts shard " + at.shard() + " in the middle of an event, at " + at);
                    }
                } else if (at.compareTo(before) < 0) {
                    anomalies.add("reference goes back on shard " + at.shard() + " from " + before + " to " + at);
                    continue; // keep each shard's list in stream order
                } else if (!follows(before, at, eventsMayBeEmpty)) {
                    anomalies.add("gap in the reference on shard " + at.shard() + ": " + at + " right after " + before
                            + missing(before, at));
                }
                last.put(c.shard(), at);
                List<ChangeSeen> shard = byShard.computeIfAbsent(c.shard(), k -> new ArrayList<>());
                position.put(at, shard.size());
                shard.add(c);
                byIdVersion
                        .computeIfAbsent(idVersion(c.id(), c.version()), k -> new ArrayList<>())
                        .add(c);
            }
        }

        int size() {
            return position.size();
        }

        private static boolean follows(Coordinates before, Coordinates at, boolean eventsMayBeEmpty) {
            if (at.seq() == before.seq()) {
                return at.index() == before.index() + 1;
            }
            return at.index() == 0 && (at.seq() == before.seq() + 1 || eventsMayBeEmpty);
        }

        private static String missing(Coordinates before, Coordinates at) {
            List<String> parts = new ArrayList<>();
            if (at.seq() == before.seq()) {
                parts.add("indexes " + (before.index() + 1) + ".." + (at.index() - 1) + " of seq " + at.seq());
            } else {
                if (at.seq() > before.seq() + 1) {
                    parts.add("seqs " + (before.seq() + 1) + ".." + (at.seq() - 1));
                }
                if (at.index() > 0) {
                    parts.add("indexes 0.." + (at.index() - 1) + " of seq " + at.seq());
                }
            }
            return parts.isEmpty() ? "" : " (missing " + String.join(", ", parts) + ")";
        }
    }
}
