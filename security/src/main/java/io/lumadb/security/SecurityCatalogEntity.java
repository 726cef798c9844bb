package io.lumadb.security;

import io.lumadb.security.SecurityState.ApiKey;
import io.lumadb.security.SecurityState.RefreshFamily;
import io.lumadb.security.SecurityState.SigningKey;
import io.lumadb.security.SecurityState.User;
import io.lumadb.shards.CborSerializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;

/**
 * The single writer of the security catalog: users, API keys and custom roles. One sharded,
 * event-sourced entity for the whole cluster. After every change it publishes the new {@link
 * SecurityState} on the cluster-wide topic {@value #TOPIC}, so every node applies a revocation
 * or a role change to its next request, without waiting for a cache to expire.
 *
 * <p>It keeps the catalog consistent: bindings name existing roles, a role in use cannot be
 * dropped, and the last user administering the whole cluster cannot be dropped or demoted.
 * Dropping a user revokes its API keys and refresh tokens; a new password ends the user's
 * refresh-token families.
 *
 * <p>For bearer tokens it keeps LumaDB's signing keys (so every node signs and verifies with the
 * same ones) and the refresh-token families: rotation, reuse detection (a replaced token
 * presented again ends its family) and expiry. The random parts (keys, token secrets) are made
 * by the caller and carried in the commands, so that events replay the same.
 */
public final class SecurityCatalogEntity
        extends EventSourcedBehaviorWithEnforcedReplies<
                SecurityCatalogEntity.Command, SecurityCatalogEntity.Event, SecurityState> {

    public static final EntityTypeKey<Command> TYPE_KEY = EntityTypeKey.create(Command.class, "lumadb-security");

    /** The one entity id of the security catalog. */
    public static final String ENTITY_ID = "security";

    /** The name of the topic carrying each new state to every node. */
    public static final String TOPIC = "lumadb-security-changes";

    // ---- commands

    public sealed interface Command extends CborSerializable {}

    /** Creates {@code user} if the catalog has no user at all (a fresh cluster's first admin). */
    public record Bootstrap(User user, ActorRef<Result> replyTo) implements Command {}

    /**
     * Creates or replaces a user. With a null {@code passwordHash} an existing user keeps its
     * password; a new user needs one.
     */
    public record PutUser(User user, ActorRef<Result> replyTo) implements Command {}

    public record DeleteUser(String name, ActorRef<Result> replyTo) implements Command {}

    public record PutRole(Role role, ActorRef<Result> replyTo) implements Command {}

    public record DeleteRole(String name, ActorRef<Result> replyTo) implements Command {}

    public record CreateKey(ApiKey key, ActorRef<Result> replyTo) implements Command {}

    public record RevokeKey(String id, ActorRef<Result> replyTo) implements Command {}

    public record GetState(ActorRef<SecurityState> replyTo) implements Command {}

    /**
     * Adds a signing key for LumaDB's access tokens; with {@code onlyIfNone} only when there is
     * none yet (the first token of a cluster), otherwise it becomes the signing key and the
     * previous one is kept to verify the tokens it signed; the one before that is dropped.
     */
    public record AddSigningKey(SigningKey key, boolean onlyIfNone, ActorRef<Result> replyTo) implements Command {}

    /**
     * Starts a refresh-token family for a user who just proved its password, whose hash was
     * {@code passwordHash} (a password changed meanwhile refuses). Families past their expiry,
     * and the user's oldest beyond {@code maxPerUser}, are dropped.
     */
    public record StartRefreshFamily(
            RefreshFamily family, String passwordHash, int maxPerUser, long nowMillis, ActorRef<Result> replyTo)
            implements Command {}

    /**
     * Replaces the family's current refresh token (whose secret hashes to {@code presentedHash})
     * by one hashing to {@code newHash}. A replaced token presented again ends the family
     * ({@link Outcome#TOKEN_REUSED}).
     */
    public record RotateRefreshToken(
            String familyId,
            String presentedHash,
            String newHash,
            long expiresAtMillis,
            long nowMillis,
            ActorRef<Result> replyTo)
            implements Command {}

    /**
     * Signs out: ends a refresh-token family, whose refresh and access tokens stop working, if
     * {@code presentedHash} is the hash of its current refresh token or of one it replaced (a
     * replaced token presented again means it was copied, which ends the family anyway). Answers
     * {@link Outcome#DELETED} with the family's user as the detail, or {@link Outcome#NOT_FOUND}
     * for a family that is gone or a token that is none of its own.
     */
    public record EndRefreshFamily(String familyId, String presentedHash, ActorRef<Result> replyTo)
            implements Command {}

    // ---- replies

    public enum Outcome {
        CREATED,
        UPDATED,
        DELETED,
        NOT_FOUND,
        /** A binding names a role that does not exist (the detail names it). */
        UNKNOWN_ROLE,
        /** The change would leave no user administering the whole cluster. */
        LAST_ADMIN,
        /** A user or key still holds the role. */
        ROLE_IN_USE,
        /** Built-in roles cannot be changed. */
        BUILT_IN,
        /** A new user needs a password. */
        PASSWORD_REQUIRED,
        /** The API key's owner is not a user. */
        UNKNOWN_OWNER,
        /** Bootstrap found users already. */
        ALREADY_INITIALIZED,
        /** A refresh token that is unknown, expired or ended, or a user gone (the detail says which). */
        INVALID_GRANT,
        /** A replaced refresh token was presented again: its family is ended. */
        TOKEN_REUSED
    }

    public record Result(Outcome outcome, String detail, SecurityState state) implements CborSerializable {}

    /** The topic message: the catalog after a change. */
    public record Changed(SecurityState state) implements CborSerializable {}

    // ---- events

    public sealed interface Event extends CborSerializable {}

    public record UserPut(User user) implements Event {}

    public record UserDeleted(String name) implements Event {}

    public record RolePut(Role role) implements Event {}

    public record RoleDeleted(String name) implements Event {}

    public record KeyCreated(ApiKey key) implements Event {}

    public record KeyRevoked(String id) implements Event {}

    public record SigningKeyAdded(SigningKey key) implements Event {}

    /** A family started; {@code dropped} names the families it ends (expired, or over the user's limit). */
    public record RefreshFamilyStarted(RefreshFamily family, List<String> dropped) implements Event {
        public RefreshFamilyStarted {
            dropped = List.copyOf(dropped);
        }
    }

    public record RefreshTokenRotated(String familyId, String tokenHash, long expiresAtMillis) implements Event {}

    public record RefreshFamilyEnded(String familyId) implements Event {}

    /**
     * How many keys are kept: the signing one and the one before, for the tokens it signed (which
     * verifiers accept for one access-token lifetime after its replacement). Rotating twice drops
     * a key at once: the way to stop a leaked one.
     */
    static final int SIGNING_KEYS_KEPT = 2;

    /** How many replaced refresh tokens of a family are recognised when presented again. */
    static final int USED_HASHES_KEPT = 8;

    // ---- creation

    public static void init(ActorSystem<?> system) {
        ClusterSharding.get(system).init(Entity.of(TYPE_KEY, ctx -> create()));
    }

    public static EntityRef<Command> ref(ActorSystem<?> system) {
        return ClusterSharding.get(system).entityRefFor(TYPE_KEY, ENTITY_ID);
    }

    public static Behavior<Command> create() {
        return Behaviors.setup(ctx -> new SecurityCatalogEntity(ctx.spawn(topic(), "changes")));
    }

    /** The topic actor every node spawns to publish or receive {@link Changed}. */
    public static Behavior<Topic.Command<Changed>> topic() {
        return Topic.create(Changed.class, TOPIC);
    }

    private final ActorRef<Topic.Command<Changed>> topic;

    private SecurityCatalogEntity(ActorRef<Topic.Command<Changed>> topic) {
        super(PersistenceId.of("security", ENTITY_ID));
        this.topic = topic;
    }

    @Override
    public SecurityState emptyState() {
        return SecurityState.EMPTY;
    }

    @Override
    public RetentionCriteria retentionCriteria() {
        return RetentionCriteria.snapshotEvery(100, 2);
    }

    // ---- command handler

    @Override
    public CommandHandlerWithReply<Command, Event, SecurityState> commandHandler() {
        return newCommandHandlerWithReplyBuilder()
                .forAnyState()
                .onCommand(Bootstrap.class, this::onBootstrap)
                .onCommand(PutUser.class, this::onPutUser)
                .onCommand(DeleteUser.class, this::onDeleteUser)
                .onCommand(PutRole.class, this::onPutRole)
                .onCommand(DeleteRole.class, this::onDeleteRole)
                .onCommand(CreateKey.class, this::onCreateKey)
                .onCommand(RevokeKey.class, this::onRevokeKey)
                .onCommand(GetState.class, (state, cmd) -> Effect().reply(cmd.replyTo(), state))
                .onCommand(AddSigningKey.class, this::onAddSigningKey)
                .onCommand(StartRefreshFamily.class, this::onStartRefreshFamily)
                .onCommand(RotateRefreshToken.class, this::onRotateRefreshToken)
                .onCommand(EndRefreshFamily.class, this::onEndRefreshFamily)
                .build();
    }

    private ReplyEffect<Event, SecurityState> refuse(
            SecurityState state, ActorRef<Result> replyTo, Outcome outcome, String detail) {
        return Effect().reply(replyTo, new Result(outcome, detail, state));
    }

    private ReplyEffect<Event, SecurityState> change(Event event, ActorRef<Result> replyTo, Outcome outcome) {
        return Effect()
                .persist(event)
                .thenRun(next -> topic.tell(Topic.publish(new Changed(next))))
                .thenReply(replyTo, next -> new Result(outcome, null, next));
    }

    private ReplyEffect<Event, SecurityState> onBootstrap(SecurityState state, Bootstrap cmd) {
        if (!state.users().isEmpty()) {
            return refuse(state, cmd.replyTo(), Outcome.ALREADY_INITIALIZED, null);
        }
        return change(new UserPut(cmd.user()), cmd.replyTo(), Outcome.CREATED);
    }

    private ReplyEffect<Event, SecurityState> onPutUser(SecurityState state, PutUser cmd) {
        User user = cmd.user();
        var unknown = state.unknownRole(user.roles());
        if (unknown.isPresent()) {
            return refuse(state, cmd.replyTo(), Outcome.UNKNOWN_ROLE, unknown.get());
        }
        User existing = state.users().get(user.name());
        if (existing == null && user.passwordHash() == null) {
            return refuse(state, cmd.replyTo(), Outcome.PASSWORD_REQUIRED, null);
        }
        if (existing != null
                && state.isClusterAdmin(existing.roles())
                && !state.isClusterAdmin(user.roles())
                && state.clusterAdmins() == 1) {
            return refuse(state, cmd.replyTo(), Outcome.LAST_ADMIN, user.name());
        }
        User stored = existing == null
                ? user
                : new User(
                        user.name(),
                        user.passwordHash() != null ? user.passwordHash() : existing.passwordHash(),
                        user.roles(),
                        existing.createdAtMillis(),
                        user.passwordHash() != null ? user.scramVerifier() : existing.scramVerifier());
        return change(new UserPut(stored), cmd.replyTo(), existing == null ? Outcome.CREATED : Outcome.UPDATED);
    }

    private ReplyEffect<Event, SecurityState> onDeleteUser(SecurityState state, DeleteUser cmd) {
        User existing = state.users().get(cmd.name());
        if (existing == null) {
            return refuse(state, cmd.replyTo(), Outcome.NOT_FOUND, null);
        }
        if (state.isClusterAdmin(existing.roles()) && state.clusterAdmins() == 1) {
            return refuse(state, cmd.replyTo(), Outcome.LAST_ADMIN, cmd.name());
        }
        return change(new UserDeleted(cmd.name()), cmd.replyTo(), Outcome.DELETED);
    }

    private ReplyEffect<Event, SecurityState> onPutRole(SecurityState state, PutRole cmd) {
        if (Role.BUILT_IN.containsKey(cmd.role().name())) {
            return refuse(state, cmd.replyTo(), Outcome.BUILT_IN, cmd.role().name());
        }
        boolean exists = state.roles().containsKey(cmd.role().name());
        return change(new RolePut(cmd.role()), cmd.replyTo(), exists ? Outcome.UPDATED : Outcome.CREATED);
    }

    private ReplyEffect<Event, SecurityState> onDeleteRole(SecurityState state, DeleteRole cmd) {
        if (Role.BUILT_IN.containsKey(cmd.name())) {
            return refuse(state, cmd.replyTo(), Outcome.BUILT_IN, cmd.name());
        }
        if (!state.roles().containsKey(cmd.name())) {
            return refuse(state, cmd.replyTo(), Outcome.NOT_FOUND, null);
        }
        if (state.roleInUse(cmd.name())) {
            return refuse(state, cmd.replyTo(), Outcome.ROLE_IN_USE, cmd.name());
        }
        return change(new RoleDeleted(cmd.name()), cmd.replyTo(), Outcome.DELETED);
    }

    private ReplyEffect<Event, SecurityState> onCreateKey(SecurityState state, CreateKey cmd) {
        var unknown = state.unknownRole(cmd.key().roles());
        if (unknown.isPresent()) {
            return refuse(state, cmd.replyTo(), Outcome.UNKNOWN_ROLE, unknown.get());
        }
        if (!state.users().containsKey(cmd.key().owner())) {
            return refuse(state, cmd.replyTo(), Outcome.UNKNOWN_OWNER, cmd.key().owner());
        }
        return change(new KeyCreated(cmd.key()), cmd.replyTo(), Outcome.CREATED);
    }

    private ReplyEffect<Event, SecurityState> onRevokeKey(SecurityState state, RevokeKey cmd) {
        if (!state.keys().containsKey(cmd.id())) {
            return refuse(state, cmd.replyTo(), Outcome.NOT_FOUND, null);
        }
        return change(new KeyRevoked(cmd.id()), cmd.replyTo(), Outcome.DELETED);
    }

    private ReplyEffect<Event, SecurityState> onAddSigningKey(SecurityState state, AddSigningKey cmd) {
        if (cmd.onlyIfNone() && !state.signingKeys().isEmpty()) {
            return refuse(state, cmd.replyTo(), Outcome.UPDATED, null);
        }
        return change(new SigningKeyAdded(cmd.key()), cmd.replyTo(), Outcome.CREATED);
    }

    private ReplyEffect<Event, SecurityState> onStartRefreshFamily(SecurityState state, StartRefreshFamily cmd) {
        RefreshFamily family = cmd.family();
        User user = state.users().get(family.user());
        if (user == null || !user.passwordHash().equals(cmd.passwordHash())) {
            return refuse(state, cmd.replyTo(), Outcome.INVALID_GRANT, "the user or its password changed meanwhile");
        }
        List<String> dropped = new ArrayList<>();
        List<RefreshFamily> own = new ArrayList<>();
        for (RefreshFamily f : state.refreshFamilies().values()) {
            if (f.expiresAtMillis() <= cmd.nowMillis()) {
                dropped.add(f.id());
            } else if (f.user().equals(family.user())) {
                own.add(f);
            }
        }
        own.sort(Comparator.comparingLong(RefreshFamily::createdAtMillis));
        for (int i = 0; i < own.size() - (Math.max(1, cmd.maxPerUser()) - 1); i++) {
            dropped.add(own.get(i).id());
        }
        return change(new RefreshFamilyStarted(family, dropped), cmd.replyTo(), Outcome.CREATED);
    }

    private ReplyEffect<Event, SecurityState> onRotateRefreshToken(SecurityState state, RotateRefreshToken cmd) {
        RefreshFamily family = state.refreshFamilies().get(cmd.familyId());
        if (family == null) {
            return refuse(
                    state, cmd.replyTo(), Outcome.INVALID_GRANT, "the refresh token is unknown, revoked or expired");
        }
        if (family.usedHashes().contains(cmd.presentedHash())) {
            return change(new RefreshFamilyEnded(family.id()), cmd.replyTo(), Outcome.TOKEN_REUSED);
        }
        if (!family.tokenHash().equals(cmd.presentedHash())) {
            return refuse(
                    state, cmd.replyTo(), Outcome.INVALID_GRANT, "the refresh token is unknown, revoked or expired");
        }
        if (family.expiresAtMillis() <= cmd.nowMillis()) {
            return Effect()
                    .persist(new RefreshFamilyEnded(family.id()))
                    .thenRun(next -> topic.tell(Topic.publish(new Changed(next))))
                    .thenReply(
                            cmd.replyTo(),
                            next -> new Result(Outcome.INVALID_GRANT, "the refresh token has expired", next));
        }
        return change(
                new RefreshTokenRotated(family.id(), cmd.newHash(), cmd.expiresAtMillis()),
                cmd.replyTo(),
                Outcome.UPDATED);
    }

    private ReplyEffect<Event, SecurityState> onEndRefreshFamily(SecurityState state, EndRefreshFamily cmd) {
        RefreshFamily family = state.refreshFamilies().get(cmd.familyId());
        // Checked here rather than on the caller's node, whose copy may not know the newest token yet.
        if (family == null
                || !(family.tokenHash().equals(cmd.presentedHash())
                        || family.usedHashes().contains(cmd.presentedHash()))) {
            return refuse(state, cmd.replyTo(), Outcome.NOT_FOUND, null);
        }
        return Effect()
                .persist(new RefreshFamilyEnded(family.id()))
                .thenRun(next -> topic.tell(Topic.publish(new Changed(next))))
                .thenReply(cmd.replyTo(), next -> new Result(Outcome.DELETED, family.user(), next));
    }

    // ---- event handler

    @Override
    public EventHandler<SecurityState, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(UserPut.class, (s, e) -> {
                    var users = new HashMap<>(s.users());
                    User before = users.put(e.user().name(), e.user());
                    SecurityState next = s.next(users, s.keys(), s.roles());
                    boolean newPassword = before != null
                            && !before.passwordHash().equals(e.user().passwordHash());
                    return newPassword ? withoutFamiliesOf(next, e.user().name()) : next;
                })
                .onEvent(UserDeleted.class, (s, e) -> {
                    var users = new HashMap<>(s.users());
                    users.remove(e.name());
                    Map<String, ApiKey> keys = new HashMap<>(s.keys());
                    keys.values().removeIf(k -> k.owner().equals(e.name()));
                    return withoutFamiliesOf(s.next(users, keys, s.roles()), e.name());
                })
                .onEvent(RolePut.class, (s, e) -> {
                    var roles = new HashMap<>(s.roles());
                    roles.put(e.role().name(), e.role());
                    return s.next(s.users(), s.keys(), roles);
                })
                .onEvent(RoleDeleted.class, (s, e) -> {
                    var roles = new HashMap<>(s.roles());
                    roles.remove(e.name());
                    return s.next(s.users(), s.keys(), roles);
                })
                .onEvent(KeyCreated.class, (s, e) -> {
                    var keys = new HashMap<>(s.keys());
                    keys.put(e.key().id(), e.key());
                    return s.next(s.users(), keys, s.roles());
                })
                .onEvent(KeyRevoked.class, (s, e) -> {
                    var keys = new HashMap<>(s.keys());
                    keys.remove(e.id());
                    return s.next(s.users(), keys, s.roles());
                })
                .onEvent(SigningKeyAdded.class, SecurityCatalogEntity::onSigningKeyAdded)
                .onEvent(RefreshFamilyStarted.class, SecurityCatalogEntity::onRefreshFamilyStarted)
                .onEvent(RefreshTokenRotated.class, SecurityCatalogEntity::onRefreshTokenRotated)
                .onEvent(RefreshFamilyEnded.class, (s, e) -> {
                    var families = new HashMap<>(s.refreshFamilies());
                    families.remove(e.familyId());
                    return s.nextTokens(s.signingKeys(), families);
                })
                .build();
    }

    private static SecurityState onSigningKeyAdded(SecurityState s, SigningKeyAdded e) {
        List<SigningKey> keys = new ArrayList<>();
        keys.add(e.key());
        keys.addAll(s.signingKeys());
        return s.nextTokens(keys.subList(0, Math.min(SIGNING_KEYS_KEPT, keys.size())), s.refreshFamilies());
    }

    private static SecurityState onRefreshFamilyStarted(SecurityState s, RefreshFamilyStarted e) {
        var families = new HashMap<>(s.refreshFamilies());
        e.dropped().forEach(families::remove);
        families.put(e.family().id(), e.family());
        return s.nextTokens(s.signingKeys(), families);
    }

    private static SecurityState onRefreshTokenRotated(SecurityState s, RefreshTokenRotated e) {
        RefreshFamily f = s.refreshFamilies().get(e.familyId());
        if (f == null) {
            return s.nextTokens(s.signingKeys(), s.refreshFamilies());
        }
        List<String> used = new ArrayList<>();
        used.add(f.tokenHash());
        used.addAll(f.usedHashes());
        var families = new HashMap<>(s.refreshFamilies());
        families.put(
                f.id(),
                new RefreshFamily(
                        f.id(),
                        f.user(),
                        e.tokenHash(),
                        used.subList(0, Math.min(USED_HASHES_KEPT, used.size())),
                        f.createdAtMillis(),
                        e.expiresAtMillis()));
        return s.nextTokens(s.signingKeys(), families);
    }

    private static SecurityState withoutFamiliesOf(SecurityState s, String user) {
        var families = new HashMap<>(s.refreshFamilies());
        if (!families.values().removeIf(f -> f.user().equals(user))) {
            return s;
        }
        return new SecurityState(s.version(), s.users(), s.keys(), s.roles(), s.signingKeys(), families);
    }
}
