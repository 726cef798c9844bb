package io.lumadb.shards;

import io.lumadb.shards.shard.ShardEntity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.pattern.Patterns;

/**
 * What the cluster looks like from this node: its members, their state and the data shards
 * each one hosts (asked of every member's shard region). Answers even while members are
 * unreachable; their shards are then reported as unknown.
 */
public final class ClusterView {

    private static final Set<MemberStatus> HOSTING =
            Set.of(MemberStatus.up(), MemberStatus.weaklyUp(), MemberStatus.leaving(), MemberStatus.exiting());

    /**
     * One member.
     *
     * @param address host:port of its cluster transport
     * @param status Pekko's member status (Joining, Up, Leaving, Exiting, Down, ...)
     * @param shards the data shard entity ids it hosts, sorted; null when it cannot be asked
     */
    public record MemberView(
            String address, String status, List<String> roles, boolean reachable, List<String> shards) {}

    /** The cluster as this node sees it; {@code leader} is null while there is none. */
    public record Status(String self, String leader, List<MemberView> members) {}

    private ClusterView() {}

    public static CompletionStage<Status> status(ActorSystem<?> system, Duration timeout) {
        ClusterEvent.CurrentClusterState state = Cluster.get(system).state();
        Set<Member> unreachable = state.getUnreachable();
        List<Member> members =
                StreamSupport.stream(state.getMembers().spliterator(), false).toList();
        List<CompletableFuture<MemberView>> views = new ArrayList<>();
        for (Member m : members) {
            boolean reachable = !unreachable.contains(m);
            List<String> roles = new ArrayList<>(new TreeSet<>(m.getRoles()));
            roles.removeIf(r -> r.startsWith("dc-"));
            String status = m.status().toString();
            if (!reachable || !HOSTING.contains(m.status())) {
                views.add(CompletableFuture.completedFuture(
                        new MemberView(hostPort(m.address()), status, roles, reachable, null)));
                continue;
            }
            views.add(hostedShards(system, m.address(), timeout)
                    .handle((shards, failure) -> new MemberView(hostPort(m.address()), status, roles, true, shards))
                    .toCompletableFuture());
        }
        Address leader = state.getLeader();
        String self = hostPort(Cluster.get(system).selfMember().address());
        return CompletableFuture.allOf(views.toArray(CompletableFuture[]::new))
                .thenApply(done -> new Status(
                        self,
                        leader == null ? null : hostPort(leader),
                        views.stream().map(CompletableFuture::join).toList()));
    }

    /** The shard entities the data shard region on {@code address} runs now; fails if it cannot answer. */
    private static CompletionStage<List<String>> hostedShards(
            ActorSystem<?> system, Address address, Duration timeout) {
        var region =
                Adapter.toClassic(system).actorSelection(address + "/system/sharding/" + ShardEntity.TYPE_KEY.name());
        return Patterns.ask(region, ShardRegion.getShardRegionStateInstance(), timeout)
                .thenApply(reply -> {
                    TreeSet<String> ids = new TreeSet<>();
                    for (ShardRegion.ShardState shard : ((ShardRegion.CurrentShardRegionState) reply).getShards()) {
                        ids.addAll(shard.getEntityIds());
                    }
                    return List.copyOf(ids);
                });
    }

    private static String hostPort(Address address) {
        return address.getHost().orElse("") + ":" + address.getPort().orElse(0);
    }
}
