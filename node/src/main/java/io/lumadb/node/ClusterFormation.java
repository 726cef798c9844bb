package io.lumadb.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How a cluster-mode node joins, guarded by the {@link FormationLease}. Pekko lets the first seed
 * node form a new cluster when no other seed answers in time; this node does so only after
 * claiming the lease. When a running cluster holds it, the node drops itself from its seed list
 * and adds the lease's holder (that cluster's leader), so it joins the running cluster, however
 * many of the configured seeds are unreachable. While it waits to join, it claims the lease again
 * every renew interval: once no cluster has renewed it for {@code stale-after}, it forms one; and
 * when the lease names a leader it is not yet joining through (the holder it found at start was its
 * own earlier run, or the leader changed), it joins through that one. The leader of the cluster
 * renews the lease with the number of members it leads.
 */
final class ClusterFormation {

    private static final Logger log = LoggerFactory.getLogger(ClusterFormation.class);

    private final FormationLease lease;
    private final String self;
    private final Duration renewInterval;
    private final Config config;
    private volatile boolean restricted;
    /** The leader this join-only node last asked to join through (host:port), or null. */
    private volatile String joiningThrough;

    private ClusterFormation(
            FormationLease lease,
            String self,
            Duration renewInterval,
            Config config,
            boolean restricted,
            String joiningThrough) {
        this.lease = lease;
        this.self = self;
        this.renewInterval = renewInterval;
        this.config = config;
        this.restricted = restricted;
        this.joiningThrough = joiningThrough;
    }

    /**
     * Decides the seed nodes of this start: {@code config} as it is when the node may form a new
     * cluster (it is not the first seed, or it claimed the lease), else without itself and with the
     * running cluster's leader. Null when the lease is off.
     */
    static ClusterFormation prepare(Config config) {
        if (!config.getBoolean("lumadb.cluster.formation-lease.enabled")) {
            return null;
        }
        FormationLease lease = new FormationLease(
                ClusterMode.journalUrl(config),
                config.getString("lumadb.cluster.postgres.user"),
                config.getString("lumadb.cluster.postgres.password"),
                config.getDuration("lumadb.cluster.formation-lease.stale-after"));
        String system = config.getString("lumadb.cluster.system-name");
        String self = config.getString("lumadb.cluster.host") + ":" + config.getInt("lumadb.cluster.port");
        String selfSeed = seed(system, self);
        Duration renew = config.getDuration("lumadb.cluster.formation-lease.renew-interval");
        List<String> seeds = config.getStringList("pekko.cluster.seed-nodes");
        boolean mayForm = seeds.isEmpty() || seeds.getFirst().equals(selfSeed);
        try {
            if (!mayForm || lease.claim(self)) {
                return new ClusterFormation(lease, self, renew, config, false, null);
            }
            List<String> joinOnly = new ArrayList<>(
                    seeds.stream().filter(s -> !s.equals(selfSeed)).toList());
            // The holder may be this node's own earlier run, which led others: they run on under
            // a new leader, whom the lease will name once it renews (see tick).
            Optional<String> holder = lease.liveHolder().filter(h -> !h.equals(self));
            holder.map(h -> seed(system, h)).filter(h -> !joinOnly.contains(h)).ifPresent(h -> joinOnly.addFirst(h));
            log.info(
                    "A running cluster holds the formation lease (leader {}): joining it through {} instead of"
                            + " forming a new cluster",
                    holder.orElse("unknown"),
                    joinOnly);
            return new ClusterFormation(
                    lease,
                    self,
                    renew,
                    config.withValue("pekko.cluster.seed-nodes", ConfigValueFactory.fromIterable(joinOnly)),
                    true,
                    holder.orElse(null));
        } catch (SQLException e) {
            throw new IllegalStateException(
                    "cannot read the cluster's formation lease in " + ClusterMode.journalUrl(config) + ": "
                            + e.getMessage(),
                    e);
        }
    }

    /** The configuration to start the node with (its seed nodes decided). */
    Config config() {
        return config;
    }

    /** Whether the node must not join itself at start, even with no seed nodes left. */
    boolean joinOnly() {
        return restricted;
    }

    /**
     * Renews the lease while this node leads, and forms a cluster once a join-only node finds the
     * lease stale. Besides every renew interval, the lease is looked at whenever the membership or
     * the leader changes: a new leader renews it at once, and the leader records each member that
     * joins or leaves, so that the lease never says "alone" while others run on (a leader that
     * then left would give it up, and its restart could form a second cluster).
     */
    void start(ActorSystem<?> system) {
        ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lumadb-formation-lease");
            t.setDaemon(true);
            return t;
        });
        long millis = renewInterval.toMillis();
        timer.scheduleWithFixedDelay(() -> tick(system), millis, millis, TimeUnit.MILLISECONDS);
        system.systemActorOf(
                Behaviors.<ClusterEvent.ClusterDomainEvent>setup(ctx -> {
                    Cluster cluster = Cluster.get(ctx.getSystem());
                    cluster.subscriptions()
                            .tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.MemberEvent.class));
                    cluster.subscriptions()
                            .tell(Subscribe.create(ctx.getSelf().narrow(), ClusterEvent.LeaderChanged.class));
                    return Behaviors.receiveMessage(event -> {
                        try {
                            timer.execute(() -> tick(system));
                        } catch (RejectedExecutionException stopped) {
                            // the node is terminating: nothing to renew any more
                        }
                        return Behaviors.same();
                    });
                }),
                "lumadb-formation-lease",
                Props.empty());
        system.getWhenTerminated().thenRun(() -> {
            timer.shutdownNow();
            try {
                lease.release(self);
            } catch (SQLException e) {
                log.debug("could not release the formation lease: {}", e.getMessage());
            }
        });
    }

    private void tick(ActorSystem<?> system) {
        try {
            Cluster cluster = Cluster.get(system);
            Address address = cluster.selfMember().address();
            List<Member> members = new ArrayList<>();
            cluster.state().getMembers().forEach(members::add);
            boolean member = members.stream().anyMatch(m -> m.address().equals(address));
            if (member
                    && cluster.selfMember().status() == MemberStatus.up()
                    && address.equals(cluster.state().getLeader())) {
                lease.renew(self, (int)
                        members.stream().filter(ClusterFormation::mayRunOn).count());
            } else if (restricted && !member) {
                if (lease.claim(self)) {
                    restricted = false;
                    log.warn("No cluster has renewed the formation lease for a while: forming a new cluster");
                    cluster.manager().tell(Join.create(address));
                } else {
                    joinTheHolder(cluster, address);
                }
            }
        } catch (SQLException e) {
            log.warn("The cluster's formation lease could not be read or renewed: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.warn("The cluster's formation lease check failed", e);
        }
    }

    /** Joins through the leader that renews the lease, unless this node already tries to. */
    private void joinTheHolder(Cluster cluster, Address address) throws SQLException {
        Optional<String> holder = lease.liveHolder().filter(h -> !h.equals(self) && !h.equals(joiningThrough));
        if (holder.isEmpty()) {
            return;
        }
        List<Address> seeds = new ArrayList<>();
        seeds.add(AddressFromURIString.parse(seed(address.system(), holder.get())));
        for (String seed : config.getStringList("pekko.cluster.seed-nodes")) {
            Address a = AddressFromURIString.parse(seed);
            if (!seeds.contains(a)) {
                seeds.add(a);
            }
        }
        joiningThrough = holder.get();
        log.info("The running cluster's leader is {}: joining it through {}", holder.get(), seeds);
        cluster.manager().tell(new JoinSeedNodes(seeds));
    }

    /** The seed-node address of the node at {@code hostPort} in actor system {@code system}. */
    private static String seed(String system, String hostPort) {
        return "pekko://" + system + "@" + hostPort;
    }

    /** Whether {@code m} is a member that runs on or is about to (not leaving the cluster for good). */
    private static boolean mayRunOn(Member m) {
        MemberStatus s = m.status();
        return s != MemberStatus.down() && s != MemberStatus.exiting() && s != MemberStatus.removed();
    }
}
