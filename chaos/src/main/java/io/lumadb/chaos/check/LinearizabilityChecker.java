package io.lumadb.chaos.check;

import io.lumadb.chaos.history.Op;
import io.lumadb.chaos.history.Verdict;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Checks that the register operations of a history are linearizable: that there is one total
 * order of them, consistent with real time (an operation that completed before another was
 * invoked comes first), in which every operation does what a single register would have done.
 *
 * <h2>The model</h2>
 *
 * Each key is one register, initially {@code null} (the document does not exist). A {@link
 * Op.Type#READ} returns the register's value ({@code null} = absent); a {@link Op.Type#WRITE}
 * sets it; a {@link Op.Type#CAS} sets it to {@code value} if it holds {@code expected}, and an
 * acknowledged CAS is one that did. {@link Op.Type#INSERT}s belong to the set workload and are
 * ignored here. Linearizability is local (a history is linearizable iff each key's sub-history
 * is), so keys are checked one at a time, and that is exact, not an approximation.
 *
 * <h2>Outcomes</h2>
 *
 * <ul>
 *   <li>{@link Op.Outcome#OK}: the operation took effect exactly once, at some instant between
 *       its invocation and its completion, and returned what the history says.
 *   <li>{@link Op.Outcome#FAIL}: it certainly did not take effect; it is dropped. (A CAS that was
 *       refused because the register held something else is such a definite non-effect.)
 *   <li>{@link Op.Outcome#UNKNOWN}: the client gave up or lost the answer. A write or CAS may have
 *       taken effect once, at any instant after its invocation (even after the client gave up:
 *       its completion is taken as +infinity), or not at all. An unknown read carries no
 *       information and is dropped.
 * </ul>
 *
 * <h2>The search</h2>
 *
 * Wing and Gong's algorithm with Lowe's improvements. The operations' invocations ("calls") and
 * completions ("returns") form one doubly linked list in time order (at equal times a call comes
 * first, so the two operations count as concurrent: ties never invent an order). The search
 * walks the list from its head: a call whose operation the model accepts in the current state is
 * linearized (its call and return entries are unlinked, dancing-links style, and the step pushed
 * on an explicit stack) and the walk restarts at the head; a call the model refuses is skipped;
 * reaching a return means that operation's deadline passed unlinearized, so the last step is
 * undone and the walk continues after it. The history is linearizable when every OK operation is
 * linearized (unknown operations left over simply did not happen), and not linearizable when the
 * stack is empty at a return. Lowe's memoization makes it practical: a configuration (the set of
 * linearized operations as a bit set, and the register's value) is explored at most once, since
 * what can follow depends on nothing else. (An acknowledged read or CAS that needs a value no
 * operation may have written fails at once, without a search.)
 *
 * <p>Three reductions keep the configurations few, all exact (they never change the answer):
 *
 * <ul>
 *   <li>A read that the current value satisfies and that could take effect now (it was invoked
 *       before every pending deadline) is linearized at once, without trying the alternatives: in
 *       any linearization from here it can be moved to the front, since nothing pending must
 *       precede it and it changes nothing. Backing up skips over such forced steps.
 *   <li>An unknown write or CAS whose value no operation ever observes (no read returns it, no
 *       CAS expects it) is dropped: in any linearization containing it, it is followed by a
 *       blind write or by nothing (whatever follows must accept its value), so removing it
 *       leaves a linearization. Repeated until nothing more drops.
 *   <li>By the same argument, an unknown write or CAS is only ever linearized right before an
 *       operation that observes its value (a read or a CAS, not a blind write): it is linearized
 *       "lazily", when needed. The memo key carries that obligation.
 * </ul>
 *
 * <h2>Budget</h2>
 *
 * The problem is NP-complete; a history with many concurrent operations can take the search
 * exponential time. Each key has a budget (wall-clock time and explored configurations); when it
 * runs out the key is {@link Status#UNDECIDED}, never reported as a violation or as correct. The
 * {@link #check(List) verdict} is invalid only for definite violations; undecided keys are named
 * in its summary and anomalies so that nobody mistakes them for checked ones.
 *
 * <h2>Explanations</h2>
 *
 * For a violation the result says how far the search got (the longest linearizable prefix it
 * found, the register's value after it) and which operation could then not be placed before it
 * completed; and it gives the smallest failing sub-history found by removing chunks of operations
 * (delta debugging) while the rest still fails, within a time bound of its own. Sub-histories stay
 * closed: a value some remaining operation observes keeps a write of it, so that the witness shows
 * the real conflict rather than a read left without its write.
 */
public final class LinearizabilityChecker {

    /** The name of the check in its {@link Verdict}. */
    public static final String CHECK = "linearizable registers";

    /** The default wall-clock budget of one key's search. */
    public static final Duration DEFAULT_BUDGET_PER_KEY = Duration.ofSeconds(30);

    /**
     * The default maximum of configurations one key's search may remember. A configuration takes
     * around a hundred bytes, so this bounds the memory a search uses as well as its time.
     */
    public static final long DEFAULT_MAX_CONFIGURATIONS = 2_000_000;

    /** How a key's check ended. */
    public enum Status {
        /** A linearization exists. */
        LINEARIZABLE,
        /** No linearization exists: a definite violation. */
        NOT_LINEARIZABLE,
        /** The search ran out of budget before deciding: neither a violation nor a pass. */
        UNDECIDED
    }

    /**
     * The outcome of checking one key.
     *
     * @param key the register's key
     * @param status what the search concluded
     * @param ops the key's register operations given (any outcome)
     * @param unknownOps how many of them were {@link Op.Outcome#UNKNOWN}
     * @param configurations the configurations the search explored
     * @param explanation one line for people: for a violation, how far the search got and what
     *     could not be placed; for an undecided key, the budget it exhausted; else a short note
     * @param smallestFailing for a violation, the smallest sub-history (of this key's operations)
     *     found that is still not linearizable; else empty
     */
    public record Result(
            String key,
            Status status,
            int ops,
            int unknownOps,
            long configurations,
            String explanation,
            List<Op> smallestFailing) {

        public Result {
            Objects.requireNonNull(status, "status");
            smallestFailing = List.copyOf(smallestFailing);
        }

        /** Whether a linearization was found. */
        public boolean linearizable() {
            return status == Status.LINEARIZABLE;
        }

        /** Whether no linearization exists: a definite violation. */
        public boolean violated() {
            return status == Status.NOT_LINEARIZABLE;
        }

        /** Whether the search ran out of budget: nothing is known about this key. */
        public boolean undecided() {
            return status == Status.UNDECIDED;
        }
    }

    private final Duration budgetPerKey;
    private final long maxConfigurations;
    private final Duration shrinkBudget;

    /** A checker with the default budgets. */
    public LinearizabilityChecker() {
        this(DEFAULT_BUDGET_PER_KEY);
    }

    /**
     * A checker that gives each key's search {@code budgetPerKey} of wall-clock time (and {@link
     * #DEFAULT_MAX_CONFIGURATIONS}), and shrinking a failing key as much time again.
     */
    public LinearizabilityChecker(Duration budgetPerKey) {
        this(budgetPerKey, DEFAULT_MAX_CONFIGURATIONS, budgetPerKey);
    }

    /**
     * A checker with explicit budgets.
     *
     * @param budgetPerKey wall-clock time one key's search may take
     * @param maxConfigurations configurations one key's search may explore
     * @param shrinkBudget wall-clock time spent shrinking a failing key's history ({@link
     *     Duration#ZERO}: report the key's whole history as its smallest failing one)
     */
    public LinearizabilityChecker(Duration budgetPerKey, long maxConfigurations, Duration shrinkBudget) {
        if (budgetPerKey == null || budgetPerKey.isNegative() || budgetPerKey.isZero()) {
            throw new IllegalArgumentException("budgetPerKey must be positive, got " + budgetPerKey);
        }
        if (maxConfigurations < 1) {
            throw new IllegalArgumentException("maxConfigurations must be at least 1, got " + maxConfigurations);
        }
        if (shrinkBudget == null || shrinkBudget.isNegative()) {
            throw new IllegalArgumentException("shrinkBudget must not be negative, got " + shrinkBudget);
        }
        this.budgetPerKey = budgetPerKey;
        this.maxConfigurations = maxConfigurations;
        this.shrinkBudget = shrinkBudget;
    }

    /**
     * Checks every key of a history and sums it up: named {@value #CHECK}, invalid only if some
     * key is definitely not linearizable; undecided keys appear in the summary and as anomalies
     * (marked "undecided") but do not make the verdict invalid, so look at {@link
     * #checkKeys(List)} or the summary when that matters. {@code smallestFailing} is the smallest
     * failing sub-history of the first failing key (by key order).
     */
    public Verdict check(List<Op> history) {
        List<Result> results = checkKeys(history);
        long ops = results.stream().mapToLong(Result::ops).sum();
        long unknown = results.stream().mapToLong(Result::unknownOps).sum();
        List<Result> violated = results.stream().filter(Result::violated).toList();
        List<Result> undecided = results.stream().filter(Result::undecided).toList();
        StringBuilder summary = new StringBuilder()
                .append(results.size())
                .append(results.size() == 1 ? " key, " : " keys, ")
                .append(ops)
                .append(" ops (")
                .append(unknown)
                .append(" unknown): ");
        if (violated.isEmpty() && undecided.isEmpty()) {
            summary.append("all linearizable");
        } else {
            summary.append(results.size() - violated.size() - undecided.size()).append(" linearizable");
            if (!violated.isEmpty()) {
                summary.append(", ")
                        .append(violated.size())
                        .append(" not linearizable (")
                        .append(keys(violated))
                        .append(")");
            }
            if (!undecided.isEmpty()) {
                summary.append(", ")
                        .append(undecided.size())
                        .append(" undecided, search budget exhausted (")
                        .append(keys(undecided))
                        .append(")");
            }
        }
        List<String> anomalies = new ArrayList<>();
        for (Result r : results) {
            if (r.violated()) {
                int size = r.smallestFailing().size();
                anomalies.add("key " + r.key() + ": " + r.explanation() + " (smallest failing sub-history: " + size
                        + (size == 1 ? " op)" : " ops)"));
            } else if (r.undecided()) {
                anomalies.add("key " + r.key() + ": undecided, not a violation: " + r.explanation());
            }
        }
        List<Op> smallest = violated.isEmpty() ? List.of() : violated.getFirst().smallestFailing();
        return new Verdict(CHECK, violated.isEmpty(), summary.toString(), anomalies, smallest);
    }

    /** Checks every key of a history (register operations only), in key order. */
    public List<Result> checkKeys(List<Op> history) {
        Map<String, List<Op>> byKey = new TreeMap<>();
        for (Op op : history) {
            if (op.type() != Op.Type.INSERT) {
                byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
            }
        }
        List<Result> results = new ArrayList<>(byKey.size());
        byKey.values().forEach(ops -> results.add(checkKey(ops)));
        return results;
    }

    /**
     * Checks the operations of one key (any order; {@link Op.Type#INSERT}s are ignored).
     *
     * @throws IllegalArgumentException if the operations name more than one key
     */
    public Result checkKey(List<Op> opsOfOneKey) {
        List<Op> ops =
                opsOfOneKey.stream().filter(op -> op.type() != Op.Type.INSERT).toList();
        Set<String> keys = ops.stream().map(Op::key).collect(Collectors.toSet());
        if (keys.size() > 1) {
            throw new IllegalArgumentException("checkKey takes the operations of one key, got keys " + keys);
        }
        String key = keys.isEmpty() ? "" : keys.iterator().next();
        int unknown = (int)
                ops.stream().filter(op -> op.outcome() == Op.Outcome.UNKNOWN).count();
        List<Op> relevant = relevant(ops);
        long start = System.nanoTime();
        Search search = new Search(relevant, start + budgetPerKey.toNanos(), maxConfigurations);
        Status status = search.run();
        long millis = (System.nanoTime() - start) / 1_000_000;
        String explanation =
                switch (status) {
                    case LINEARIZABLE ->
                        "linearizable (" + search.configurations + " configurations explored in " + millis + " ms)";
                    case UNDECIDED ->
                        "search budget exhausted after " + search.configurations + " configurations and " + millis
                                + " ms (budget " + budgetPerKey.toMillis() + " ms, " + maxConfigurations
                                + " configurations)";
                    case NOT_LINEARIZABLE -> search.explain(ops);
                };
        List<Op> smallest = status == Status.NOT_LINEARIZABLE ? shrink(relevant, search.blocked) : List.of();
        return new Result(key, status, ops.size(), unknown, search.configurations, explanation, smallest);
    }

    /** The operations that can matter: failed ones did not happen, unknown reads say nothing. */
    private static List<Op> relevant(List<Op> ops) {
        List<Op> out = new ArrayList<>(ops.size());
        for (Op op : ops) {
            boolean failed = op.outcome() == Op.Outcome.FAIL;
            boolean unknownRead = op.type() == Op.Type.READ && op.outcome() == Op.Outcome.UNKNOWN;
            if (!failed && !unknownRead) {
                out.add(op);
            }
        }
        out.sort(Comparator.comparingLong(Op::invokedNanos).thenComparingLong(Op::index));
        return out;
    }

    /**
     * Shrinks a failing history, within the shrink budget; what it returns always fails.
     *
     * <ol>
     *   <li>A window: the operations invoked shortly before the blocked operation (the one the
     *       search could not place) up to its completion, closed as below, growing by doubling
     *       until it fails. Violations are usually local, so this cuts a long history to a few
     *       operations with a few cheap searches.
     *   <li>Else the operations invoked before the blocked operation completed.
     *   <li>Then delta debugging: remove chunks, halving their size down to single operations,
     *       keeping every removal after which the rest still definitely fails.
     * </ol>
     *
     * <p>Only closed sub-histories count: every value a remaining read or CAS observes keeps a
     * remaining write of it, if the history had one. Without that rule any read alone would be a
     * "failing" history (it returns a value nothing wrote), a witness that explains nothing.
     */
    private List<Op> shrink(List<Op> failing, Op blocked) {
        if (shrinkBudget.isZero()) {
            return failing;
        }
        long deadline = System.nanoTime() + shrinkBudget.toNanos();
        Map<Long, List<Op>> writers = new HashMap<>();
        failing.stream().filter(Op::mayWrite).forEach(op -> writers.computeIfAbsent(op.value(), v -> new ArrayList<>())
                .add(op));
        List<Op> current = failing;
        int at = blocked == null ? -1 : failing.indexOf(blocked);
        if (at >= 0) {
            for (int before = 0; System.nanoTime() < deadline; before = Math.max(1, before * 2)) {
                List<Op> window = window(failing, at, before, writers);
                if (window.size() >= current.size()) {
                    break;
                }
                if (fails(window, writers.keySet(), deadline)) {
                    current = window;
                    break;
                }
                if (before >= at) {
                    break;
                }
            }
            if (current == failing) {
                List<Op> prefix = failing.stream()
                        .filter(op -> op.invokedNanos() <= blocked.completedNanos())
                        .toList();
                if (prefix.size() < current.size() && fails(prefix, writers.keySet(), deadline)) {
                    current = prefix;
                }
            }
        }
        int chunk = Math.max(1, current.size() / 2);
        while (System.nanoTime() < deadline) {
            boolean removed = false;
            for (int start = 0; start < current.size() && System.nanoTime() < deadline; ) {
                int end = Math.min(current.size(), start + chunk);
                if (end - start == current.size()) {
                    break; // an empty history is linearizable
                }
                List<Op> candidate = new ArrayList<>(current.size() - (end - start));
                candidate.addAll(current.subList(0, start));
                candidate.addAll(current.subList(end, current.size()));
                if (fails(candidate, writers.keySet(), deadline)) {
                    current = candidate;
                    removed = true;
                } else {
                    start = end;
                }
            }
            if (chunk > 1) {
                chunk = Math.max(1, chunk / 2);
            } else if (!removed) {
                break; // no single operation can go: one-minimal
            }
        }
        return current;
    }

    /**
     * The {@code before} operations invoked just before {@code failing[at]}, and those invoked
     * from it until it completed, with the writes of every value they observe (and of the values
     * those observe), in the history's order.
     */
    private static List<Op> window(List<Op> failing, int at, int before, Map<Long, List<Op>> writers) {
        long until = failing.get(at).completedNanos();
        Set<Op> chosen = new HashSet<>();
        ArrayDeque<Op> toClose = new ArrayDeque<>();
        for (int i = Math.max(0, at - before);
                i < failing.size() && (i <= at || failing.get(i).invokedNanos() <= until);
                i++) {
            chosen.add(failing.get(i));
            toClose.add(failing.get(i));
        }
        while (!toClose.isEmpty()) {
            Long observed = observed(toClose.poll());
            for (Op w : observed == null ? List.<Op>of() : writers.getOrDefault(observed, List.of())) {
                if (chosen.add(w)) {
                    toClose.add(w);
                }
            }
        }
        return failing.stream().filter(chosen::contains).toList();
    }

    /** The value an operation needs the register to hold: a read's result, a CAS's expected. */
    private static Long observed(Op op) {
        return switch (op.type()) {
            case READ -> op.value();
            case CAS -> op.expected();
            default -> null;
        };
    }

    /** Whether a closed sub-history (see {@link #shrink}) definitely fails. */
    private boolean fails(List<Op> ops, Set<Long> writtenInFull, long deadline) {
        Set<Long> written = ops.stream().filter(Op::mayWrite).map(Op::value).collect(Collectors.toSet());
        for (Op op : ops) {
            Long observed = observed(op);
            if (observed != null && writtenInFull.contains(observed) && !written.contains(observed)) {
                return false;
            }
        }
        return new Search(ops, deadline, maxConfigurations).run() == Status.NOT_LINEARIZABLE;
    }

    private static String keys(List<Result> results) {
        return results.stream().map(Result::key).collect(Collectors.joining(", "));
    }

    /** One search over one key's relevant operations; not reusable. */
    private static final class Search {

        private static final int READ = 0;
        private static final int WRITE = 1;
        private static final int CAS = 2;
        /** How many steps between two looks at the clock. */
        private static final int CLOCK_EVERY = 1024;

        private final long deadline;
        private final long maxConfigurations;

        /** The operations searched (after dropping unobserved unknown writes), by op number. */
        private final Op[] ops;

        private final int[] type;
        private final int[] value; // the state id a read returns or a write/CAS sets
        private final int[] expected; // the state id a CAS needs
        private final boolean[] unknown;
        private final List<Long> stateValues = new ArrayList<>();

        // The entries list: entries 0..2n-1, head sentinel at 'head'; an unknown operation has no
        // return entry (its completion is +infinity, past the end of the list).
        private final int head;
        private final int[] next;
        private final int[] prev;
        private final int[] opOf;
        private final boolean[] isCall;
        private final int[] returnOf; // of a call entry: its return entry, or -1

        long configurations;
        // The deepest point a search reached, for the explanation.
        private int bestDepth = -1;
        private List<Op> bestPrefix = List.of();
        private Long bestState;
        private List<Op> bestPending = List.of();
        /** The operation the search could not place at its deepest point, once it has failed. */
        Op blocked;
        /** Whether the search failed before starting: {@link #blocked} needs a value never written. */
        private boolean unwritten;

        Search(List<Op> relevant, long deadline, long maxConfigurations) {
            this.deadline = deadline;
            this.maxConfigurations = maxConfigurations;
            this.ops = dropUnobservedUnknowns(relevant).toArray(Op[]::new);
            int n = ops.length;
            Map<Long, Integer> ids = new HashMap<>();
            stateValues.add(null);
            type = new int[n];
            value = new int[n];
            expected = new int[n];
            unknown = new boolean[n];
            for (int o = 0; o < n; o++) {
                Op op = ops[o];
                type[o] = switch (op.type()) {
                    case READ -> READ;
                    case WRITE -> WRITE;
                    case CAS -> CAS;
                    case INSERT -> throw new IllegalStateException("inserts are not register operations");
                };
                value[o] = stateId(op.value(), ids);
                expected[o] = op.type() == Op.Type.CAS ? stateId(op.expected(), ids) : 0;
                unknown[o] = op.outcome() == Op.Outcome.UNKNOWN;
            }
            // Entries in time order; at equal times calls first, so that touching intervals count
            // as concurrent rather than ordered.
            List<long[]> entries = new ArrayList<>(2 * n); // {time, 0 = call / 1 = return, op}
            for (int o = 0; o < n; o++) {
                entries.add(new long[] {ops[o].invokedNanos(), 0, o});
                if (!unknown[o]) {
                    entries.add(new long[] {ops[o].completedNanos(), 1, o});
                }
            }
            entries.sort(Comparator.<long[]>comparingLong(e -> e[0])
                    .thenComparingLong(e -> e[1])
                    .thenComparingLong(e -> e[2]));
            int size = entries.size();
            head = size;
            next = new int[size + 1];
            prev = new int[size + 1];
            opOf = new int[size];
            isCall = new boolean[size];
            returnOf = new int[size];
            int[] callOf = new int[n];
            for (int e = 0; e < size; e++) {
                long[] entry = entries.get(e);
                opOf[e] = (int) entry[2];
                isCall[e] = entry[1] == 0;
                returnOf[e] = -1;
                if (isCall[e]) {
                    callOf[opOf[e]] = e;
                } else {
                    returnOf[callOf[opOf[e]]] = e;
                }
                next[e] = e + 1 < size ? e + 1 : -1;
                prev[e] = e == 0 ? head : e - 1;
            }
            next[head] = size > 0 ? 0 : -1;
            prev[head] = -1;
        }

        private int stateId(Long v, Map<Long, Integer> ids) {
            if (v == null) {
                return 0;
            }
            return ids.computeIfAbsent(v, x -> {
                stateValues.add(x);
                return stateValues.size() - 1;
            });
        }

        /**
         * Drops unknown writes and CASes whose value nothing observes, until none is left (a
         * dropped CAS observed the value it expected, so dropping one can orphan another).
         */
        private static List<Op> dropUnobservedUnknowns(List<Op> relevant) {
            List<Op> current = relevant;
            while (true) {
                Set<Long> observed = new HashSet<>();
                for (Op op : current) {
                    if (op.type() == Op.Type.READ && op.value() != null) {
                        observed.add(op.value());
                    } else if (op.type() == Op.Type.CAS) {
                        observed.add(op.expected());
                    }
                }
                List<Op> kept = current.stream()
                        .filter(op -> op.type() == Op.Type.READ
                                || op.outcome() != Op.Outcome.UNKNOWN
                                || observed.contains(op.value()))
                        .toList();
                if (kept.size() == current.size()) {
                    return current;
                }
                current = kept;
            }
        }

        Status run() {
            int n = ops.length;
            Op impossible = observesUnwrittenValue();
            if (impossible != null) {
                // No need to search: nothing can produce what it saw.
                blocked = impossible;
                unwritten = true;
                return Status.NOT_LINEARIZABLE;
            }
            int remainingOk = 0;
            for (int o = 0; o < n; o++) {
                remainingOk += unknown[o] ? 0 : 1;
            }
            BitSet linearized = new BitSet(n);
            Set<Configuration> seen = new HashSet<>();
            int[] stackEntry = new int[n];
            int[] stackState = new int[n];
            boolean[] stackObligation = new boolean[n];
            boolean[] stackForced = new boolean[n];
            int depth = 0;
            int state = 0;
            // After an unknown write or CAS the next operation must observe its value (see the
            // class comment): true forbids a blind write next.
            boolean obligation = false;
            // Whether the search just entered a configuration (and has not looked for a read yet).
            boolean fresh = true;
            long steps = 0;
            int e = next[head];
            while (remainingOk > 0) {
                if (++steps % CLOCK_EVERY == 0 && System.nanoTime() - deadline > 0) {
                    return Status.UNDECIDED;
                }
                int step = -1;
                boolean forced = false;
                if (fresh) {
                    fresh = false;
                    step = acceptedRead(state);
                    forced = step != -1;
                }
                if (!forced && e != -1 && isCall[e] && accepts(opOf[e], state, obligation)) {
                    step = e;
                }
                if (step != -1) {
                    int o = opOf[step];
                    int nextState = type[o] == READ ? state : value[o];
                    boolean nextObligation = unknown[o]; // unknown reads were dropped
                    linearized.set(o);
                    if (seen.add(new Configuration(linearized, nextState, nextObligation))) {
                        if (++configurations > maxConfigurations) {
                            return Status.UNDECIDED;
                        }
                        stackEntry[depth] = step;
                        stackState[depth] = state;
                        stackObligation[depth] = obligation;
                        stackForced[depth] = forced;
                        depth++;
                        state = nextState;
                        obligation = nextObligation;
                        lift(step);
                        remainingOk -= unknown[o] ? 0 : 1;
                        e = next[head];
                        fresh = true;
                        continue;
                    }
                    linearized.clear(o);
                    if (!forced) {
                        e = next[e]; // explored already: try the next candidate
                        continue;
                    }
                    // A forced read leads only to a configuration that failed before: so does
                    // this one, whatever else it tries.
                } else if (e != -1 && isCall[e]) {
                    e = next[e];
                    continue;
                } else if (depth > bestDepth) {
                    // An operation's deadline passed before it could be linearized.
                    remember(depth, stackEntry, state, e);
                }
                // Back up to the last step that was a choice.
                while (true) {
                    if (depth == 0) {
                        return Status.NOT_LINEARIZABLE;
                    }
                    depth--;
                    int undone = stackEntry[depth];
                    int o = opOf[undone];
                    unlift(undone);
                    linearized.clear(o);
                    state = stackState[depth];
                    obligation = stackObligation[depth];
                    remainingOk += unknown[o] ? 0 : 1;
                    if (!stackForced[depth]) {
                        e = next[undone];
                        break;
                    }
                }
            }
            return Status.LINEARIZABLE;
        }

        /**
         * An acknowledged read or CAS that needs a value which no operation here may have
         * written, or null. Such a history fails however it is ordered; finding it directly
         * spares a search that would explore everything before that operation first.
         */
        private Op observesUnwrittenValue() {
            boolean[] written = new boolean[stateValues.size()];
            written[0] = true; // the initial absence
            for (int o = 0; o < ops.length; o++) {
                if (type[o] != READ) {
                    written[value[o]] = true;
                }
            }
            for (int o = 0; o < ops.length; o++) {
                if (!unknown[o] && type[o] != WRITE && !written[type[o] == READ ? value[o] : expected[o]]) {
                    return ops[o];
                }
            }
            return null;
        }

        /**
         * A candidate read (invoked before every pending deadline) that the state accepts, or
         * -1. Taking it at once loses nothing: in any linearization from here it can be moved to
         * the front (no pending operation must precede it, and it changes nothing), so it is
         * linearized without trying the alternatives, which would only explore the same futures
         * again.
         */
        private int acceptedRead(int state) {
            for (int e = next[head]; e != -1 && isCall[e]; e = next[e]) {
                if (type[opOf[e]] == READ && value[opOf[e]] == state) {
                    return e;
                }
            }
            return -1;
        }

        private boolean accepts(int o, int state, boolean obligation) {
            return switch (type[o]) {
                case READ -> value[o] == state;
                case WRITE -> !obligation;
                default -> expected[o] == state;
            };
        }

        private void lift(int call) {
            unlink(call);
            if (returnOf[call] != -1) {
                unlink(returnOf[call]);
            }
        }

        /** Undoes {@link #lift}; valid because steps are undone in the reverse order. */
        private void unlift(int call) {
            if (returnOf[call] != -1) {
                relink(returnOf[call]);
            }
            relink(call);
        }

        private void unlink(int e) {
            next[prev[e]] = next[e];
            if (next[e] != -1) {
                prev[next[e]] = prev[e];
            }
        }

        private void relink(int e) {
            next[prev[e]] = e;
            if (next[e] != -1) {
                prev[next[e]] = e;
            }
        }

        private void remember(int depth, int[] stackEntry, int state, int returnEntry) {
            bestDepth = depth;
            List<Op> prefix = new ArrayList<>(depth);
            for (int i = 0; i < depth; i++) {
                prefix.add(ops[opOf[stackEntry[i]]]);
            }
            bestPrefix = prefix;
            bestState = stateValues.get(state);
            List<Op> pending = new ArrayList<>();
            for (int e = next[head]; e != -1 && e != returnEntry; e = next[e]) {
                if (isCall[e]) {
                    pending.add(ops[opOf[e]]);
                }
            }
            bestPending = pending;
            blocked = returnEntry == -1 ? null : ops[opOf[returnEntry]];
        }

        /** Why the search failed, for people; {@code given} are the key's operations as given. */
        String explain(List<Op> given) {
            StringBuilder s = new StringBuilder("not linearizable: ");
            if (blocked == null) {
                return s.append("no linearization exists").toString();
            }
            if (unwritten) {
                s.append(blocked).append(" needs a value that no write which may have taken effect wrote");
            } else {
                int mustTakeEffect = 0;
                for (boolean u : unknown) {
                    mustTakeEffect += u ? 0 : 1;
                }
                s.append("the longest linearizable prefix found has ")
                        .append(bestPrefix.size())
                        .append(" of ")
                        .append(ops.length)
                        .append(" ops (")
                        .append(mustTakeEffect)
                        .append(" of which must take effect)");
                if (!bestPrefix.isEmpty()) {
                    int from = Math.max(0, bestPrefix.size() - 3);
                    s.append(", ending ")
                            .append(from > 0 ? "... " : "")
                            .append(bestPrefix.subList(from, bestPrefix.size()).stream()
                                    .map(Op::toString)
                                    .collect(Collectors.joining(", ")));
                }
                s.append("; the register then holds ")
                        .append(bestState)
                        .append(", and from there ")
                        .append(blocked)
                        .append(" cannot take effect before it completed");
                List<Op> others =
                        bestPending.stream().filter(op -> op != blocked).toList();
                if (!others.isEmpty()) {
                    s.append(", whichever of the ops still pending come first (")
                            .append(others.stream().limit(8).map(Op::toString).collect(Collectors.joining(", ")))
                            .append(others.size() > 8 ? ", ..." : "")
                            .append(")");
                }
            }
            Long needs =
                    switch (blocked.type()) {
                        case READ -> blocked.value();
                        case CAS -> blocked.expected();
                        default -> null;
                    };
            if (needs != null) {
                List<Op> failedWrites = given.stream()
                        .filter(op -> op.type() != Op.Type.READ
                                && op.outcome() == Op.Outcome.FAIL
                                && needs.equals(op.value()))
                        .toList();
                if (!failedWrites.isEmpty()) {
                    s.append(" (failed ops wrote ")
                            .append(needs)
                            .append(": ")
                            .append(failedWrites.stream().map(Op::toString).collect(Collectors.joining(", ")))
                            .append(")");
                }
            }
            return s.toString();
        }
    }

    /**
     * A configuration already explored: the linearized operations and the register's state. The
     * bit set is stored without its leading words of ones: in a long history the early
     * operations are all linearized in nearly every configuration, and copying them into each
     * would cost memory for nothing.
     */
    private static final class Configuration {

        private final int fullWords;
        private final long[] rest;
        private final int state; // the state id, times two, plus one when an observation is owed
        private final int hash;

        Configuration(BitSet linearized, int state, boolean obligation) {
            long[] words = linearized.toLongArray();
            int full = 0;
            while (full < words.length && words[full] == -1L) {
                full++;
            }
            this.fullWords = full;
            this.rest = Arrays.copyOfRange(words, full, words.length);
            this.state = state * 2 + (obligation ? 1 : 0);
            this.hash = (Arrays.hashCode(rest) * 31 + fullWords) * 31 + this.state;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Configuration c
                    && c.hash == hash
                    && c.fullWords == fullWords
                    && c.state == state
                    && Arrays.equals(c.rest, rest);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }
}
