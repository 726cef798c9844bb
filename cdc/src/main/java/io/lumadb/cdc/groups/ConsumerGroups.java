package io.lumadb.cdc.groups;

import io.lumadb.cdc.InvalidStreamRequestException;
import io.lumadb.cdc.ResumeToken;
import io.lumadb.shards.catalog.CollectionInfo;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/**
 * Consumer groups of change streams: a group's position is committed on the server (in an
 * event-sourced entity per group, so it survives restarts and, in a cluster, lives on one
 * node), and a consumer resumes from it. Several members split a collection's shards: member
 * {@code i} of {@code n} reads and commits the shards {@code s} with {@code s % n == i}.
 */
public final class ConsumerGroups {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private final ActorSystem<?> system;
    private final Duration timeout;

    private ConsumerGroups(ActorSystem<?> system, Duration timeout) {
        this.system = system;
        this.timeout = timeout;
    }

    public static ConsumerGroups start(ActorSystem<?> system) {
        ClusterSharding.get(system)
                .init(Entity.of(ConsumerGroupEntity.TYPE_KEY, ctx -> ConsumerGroupEntity.create(ctx.getEntityId())));
        return new ConsumerGroups(system, Duration.ofSeconds(10));
    }

    /** A member's share of a group: member {@code member} of {@code members} (0-based) owns the shards {@code s % members == member}. */
    public record Member(int member, int members) {
        public static final Member ALL = new Member(0, 1);

        public Member {
            if (members < 1 || members > 1024 || member < 0 || member >= members) {
                throw new InvalidStreamRequestException(
                        "/member",
                        "member must be 0 to members-1, members 1 to 1024; got " + member + " of " + members);
            }
        }

        public boolean owns(int shard) {
            return shard % members == member;
        }
    }

    public static String checkName(String group) {
        if (group == null || !NAME.matcher(group).matches()) {
            throw new InvalidStreamRequestException(
                    "/group",
                    "invalid group name '" + group
                            + "': 1 to 128 letters, digits, '.', '_' and '-', starting with a letter or digit");
        }
        return group;
    }

    private static String entityId(CollectionInfo info, String group) {
        return info.database() + "/" + info.name() + "/" + info.incarnation() + "/" + group;
    }

    /** The group's committed position, empty before its first commit. */
    public CompletionStage<Optional<ResumeToken>> position(CollectionInfo info, String group) {
        return ClusterSharding.get(system)
                .entityRefFor(ConsumerGroupEntity.TYPE_KEY, entityId(info, checkName(group)))
                .<ConsumerGroupEntity.State>ask(ConsumerGroupEntity.Get::new, timeout)
                .thenApply(state -> toToken(info, state));
    }

    /**
     * Commits {@code token} for the shards {@code member} owns; the group's other shards keep
     * their positions. Answers the group's whole position after the commit.
     */
    public CompletionStage<ResumeToken> commit(CollectionInfo info, String group, ResumeToken token, Member member) {
        int n = info.shards();
        int owned = 0;
        for (int s = 0; s < n; s++) {
            owned += member.owns(s) ? 1 : 0;
        }
        int[] shards = new int[owned];
        long[] seqs = new long[owned];
        int[] skips = new int[owned];
        for (int s = 0, i = 0; s < n; s++) {
            if (member.owns(s)) {
                shards[i] = s;
                seqs[i] = token.seqs()[s];
                skips[i] = token.skips()[s];
                i++;
            }
        }
        return ClusterSharding.get(system)
                .entityRefFor(ConsumerGroupEntity.TYPE_KEY, entityId(info, checkName(group)))
                .<ConsumerGroupEntity.State>ask(
                        replyTo -> new ConsumerGroupEntity.Commit(n, shards, seqs, skips, replyTo), timeout)
                .thenApply(state -> toToken(info, state).orElseThrow());
    }

    private static Optional<ResumeToken> toToken(CollectionInfo info, ConsumerGroupEntity.State state) {
        if (state.seqs() == null || state.seqs().length != info.shards()) {
            return Optional.empty();
        }
        return Optional.of(new ResumeToken(info.incarnation(), state.seqs(), state.skips()));
    }
}
