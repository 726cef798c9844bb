package io.lumadb.chaos.nemesis;

import io.lumadb.chaos.history.FaultWindow;
import io.lumadb.chaos.history.History;
import io.lumadb.chaos.hosts.ChaosCluster;
import io.lumadb.chaos.hosts.ChaosNode;
import io.lumadb.chaos.hosts.SlowNetwork;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Carries out a {@link Plan} against a {@link ChaosCluster}: at each fault's time it injects the
 * fault, holds it, heals it, and records the window in the {@link History}. Healing always
 * happens, also when the run is interrupted: {@link #healAll} undoes whatever is still in force.
 */
public final class Nemesis implements Runnable {

    private static final Duration HEALTHY_BEFORE_FAULT = Duration.ofMinutes(2);

    private final ChaosCluster cluster;
    private final Plan plan;
    private final History history;
    private final SlowNetwork slow;
    private final Consumer<String> log;
    private final long startNanos;
    private final List<SlowNetwork.Handle> shaping = new ArrayList<>();
    private volatile boolean journalDown;
    private volatile int filledDisk = -1;
    private volatile String failure;

    /**
     * @param slow the slow-network fault's means (null when the plan has no {@link FaultKind#SLOW})
     * @param startNanos {@link System#nanoTime()} at which the plan's time 0 is
     */
    public Nemesis(
            ChaosCluster cluster, Plan plan, History history, SlowNetwork slow, Consumer<String> log, long startNanos) {
        this.cluster = cluster;
        this.plan = plan;
        this.history = history;
        this.slow = slow;
        this.log = log;
        this.startNanos = startNanos;
    }

    /** Whether a node's disk is full now (the set workload then writes larger documents). */
    public boolean diskFull() {
        return filledDisk >= 0;
    }

    /** Why the nemesis stopped early, or null. */
    public String failure() {
        return failure;
    }

    @Override
    public void run() {
        try {
            long delay = 0;
            for (PlannedFault f : plan.faults()) {
                sleepUntil(f.atMillis() + delay);
                // Each fault meets a whole cluster: a node downed by the last one must have rejoined,
                // or two faults would add up to a loss of the majority that neither causes alone.
                delay += awaitHealthy();
                long start = history.now();
                String description = inject(f);
                log.accept("fault " + f.kind().label() + " (" + description + ") for " + f.holdMillis() / 1000 + " s");
                try {
                    if (f.kind() == FaultKind.DISK) {
                        description += "; " + holdWatchingStorage(f);
                    } else {
                        Thread.sleep(f.holdMillis());
                    }
                } finally {
                    heal(f);
                    long end = history.now();
                    history.add(new FaultWindow(f.kind().label(), description, names(f.nodes()), start, end));
                    log.accept("healed " + f.kind().label());
                }
            }
            sleepUntil(plan.endMillis() + delay);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            failure = "the nemesis failed: " + e;
            log.accept(failure);
        } finally {
            healAll();
        }
    }

    /**
     * Holds a full disk, asking the node's {@code /ready} every 500 ms whether its store refuses
     * writes; says whether and when it did, so that a report shows the fault bit.
     */
    private String holdWatchingStorage(PlannedFault f) throws InterruptedException {
        int node = f.nodes().getFirst();
        long start = System.nanoTime();
        long end = start + f.holdMillis() * 1_000_000L;
        String seen = null;
        long after = 0;
        while (System.nanoTime() < end) {
            if (seen == null) {
                seen = cluster.storageCondition(node);
                after = (System.nanoTime() - start) / 1_000_000L;
                if (seen != null) {
                    log.accept(cluster.node(node).name() + " reports storage-unavailable (" + seen + ") " + after
                            + " ms after the fill");
                }
            }
            Thread.sleep(Math.max(0, Math.min(500, (end - System.nanoTime()) / 1_000_000L)));
        }
        return seen == null
                ? "its store never reported the full disk"
                : "its store refused writes (" + seen + ") after " + after + " ms";
    }

    /** Waits until every node is a healthy member (at most two minutes); returns how long it waited, in ms. */
    private long awaitHealthy() throws InterruptedException {
        long t0 = System.nanoTime();
        try {
            cluster.awaitHealthy(HEALTHY_BEFORE_FAULT);
        } catch (IllegalStateException e) {
            log.accept("injecting the next fault into a cluster that is not whole: " + e.getMessage());
        }
        long waited = (System.nanoTime() - t0) / 1_000_000L;
        if (waited > 1_000) {
            log.accept("waited " + waited / 1000 + " s for every node to rejoin before the next fault");
        }
        return waited;
    }

    private String inject(PlannedFault f) throws Exception {
        int n = cluster.nodes().size();
        return switch (f.kind()) {
            case KILL -> {
                ChaosNode node = cluster.node(f.nodes().getFirst());
                cluster.holdDown(node.index());
                node.kill9();
                yield "kill -9 " + node.name();
            }
            case PAUSE -> {
                ChaosNode node = cluster.node(f.nodes().getFirst());
                node.pause();
                yield "SIGSTOP " + node.name();
            }
            case PARTITION -> {
                List<Set<Integer>> deaf = deafness(f, n);
                cluster.net().cut(deaf);
                yield f.flavour() + ": " + describe(deaf);
            }
            case SLOW -> {
                boolean loss = f.flavour().equals("loss");
                Duration delay = Duration.ofMillis(loss ? 5 : 50);
                Duration jitter = Duration.ofMillis(loss ? 5 : 25);
                double lossPercent = loss ? 5.0 : 0.5;
                for (int i : f.nodes()) {
                    shaping.add(slow.apply(
                            cluster.net().namespace(i), "eth0", delay, jitter, lossPercent, plan.seed() + i));
                }
                yield "delay " + delay.toMillis() + " ms ± " + jitter.toMillis() + " ms, loss " + lossPercent + " % on "
                        + names(f.nodes());
            }
            case JOURNAL -> {
                cluster.journal().crash();
                journalDown = true;
                yield "PostgreSQL stopped (immediate)";
            }
            case DISK -> {
                ChaosNode node = cluster.node(f.nodes().getFirst());
                filledDisk = node.index();
                long bytes = node.fillDisk();
                yield node.name() + "'s data disk filled (" + bytes / (1024 * 1024) + " MiB of filler)";
            }
        };
    }

    /** Who hears whom in a partition: entry {@code i} lists the nodes node {@code i} no longer hears. */
    static List<Set<Integer>> deafness(PlannedFault f, int n) {
        List<Set<Integer>> deaf = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            deaf.add(new HashSet<>());
        }
        switch (f.flavour()) {
            case "majority" -> {
                Set<Integer> minority = new HashSet<>(f.nodes());
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        if (minority.contains(i) != minority.contains(j)) {
                            deaf.get(i).add(j);
                        }
                    }
                }
            }
            case "bridge" -> {
                int bridge = f.nodes().getFirst();
                List<Integer> others = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    if (i != bridge) {
                        others.add(i);
                    }
                }
                // Two sides that cannot hear each other; the bridge hears and is heard by both.
                for (int a = 0; a < others.size(); a++) {
                    for (int b = 0; b < others.size(); b++) {
                        if (a % 2 != b % 2) {
                            deaf.get(others.get(a)).add(others.get(b));
                        }
                    }
                }
            }
            case "one-way" -> {
                int lonely = f.nodes().getFirst();
                for (int j = 0; j < n; j++) {
                    if (j != lonely) {
                        deaf.get(lonely).add(j);
                    }
                }
            }
            default -> throw new IllegalArgumentException("unknown partition flavour " + f.flavour());
        }
        return deaf;
    }

    private String describe(List<Set<Integer>> deaf) {
        List<String> parts = new ArrayList<>();
        for (int i = 0; i < deaf.size(); i++) {
            if (!deaf.get(i).isEmpty()) {
                parts.add(cluster.node(i).name() + " hears nothing from " + names(new ArrayList<>(deaf.get(i))));
            }
        }
        return String.join("; ", parts);
    }

    private void heal(PlannedFault f) {
        try {
            switch (f.kind()) {
                case KILL -> {
                    ChaosNode node = cluster.node(f.nodes().getFirst());
                    cluster.release(node.index());
                    if (!node.alive()) {
                        node.start();
                    }
                }
                case PAUSE -> cluster.node(f.nodes().getFirst()).resume();
                case PARTITION -> cluster.net().heal();
                case SLOW -> stopShaping();
                case JOURNAL -> {
                    cluster.journal().start();
                    journalDown = false;
                }
                case DISK -> {
                    cluster.node(f.nodes().getFirst()).freeDisk();
                    filledDisk = -1;
                }
            }
        } catch (Exception e) {
            failure = "healing " + f.kind().label() + " failed: " + e;
            log.accept(failure);
        }
    }

    private void stopShaping() {
        shaping.forEach(SlowNetwork.Handle::close);
        shaping.clear();
    }

    /** Undoes every fault still in force; never throws. */
    public synchronized void healAll() {
        try {
            cluster.net().heal();
        } catch (RuntimeException e) {
            log.accept("healing the partition failed: " + e);
        }
        stopShaping();
        for (ChaosNode node : cluster.nodes()) {
            if (node.paused()) {
                node.resume();
            }
            cluster.release(node.index());
        }
        if (journalDown) {
            try {
                cluster.journal().start();
                journalDown = false;
            } catch (RuntimeException e) {
                log.accept("restarting PostgreSQL failed: " + e);
            }
        }
        if (filledDisk >= 0) {
            try {
                cluster.node(filledDisk).freeDisk();
                filledDisk = -1;
            } catch (java.io.IOException e) {
                log.accept("freeing the disk failed: " + e);
            }
        }
    }

    private List<String> names(List<Integer> nodes) {
        return nodes.stream().map(i -> cluster.node(i).name()).toList();
    }

    private void sleepUntil(long millis) throws InterruptedException {
        long wait = startNanos + millis * 1_000_000L - System.nanoTime();
        if (wait > 0) {
            Thread.sleep(wait / 1_000_000L, (int) (wait % 1_000_000L));
        }
    }
}
