package io.lumadb.security;

import io.lumadb.security.SecurityState.ApiKey;
import io.lumadb.security.SecurityState.User;
import io.lumadb.shards.CborSerializable;
import java.util.HashMap;
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
 * Dropping a user revokes its API keys.
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
        ALREADY_INITIALIZED
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
                        existing.createdAtMillis());
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

    // ---- event handler

    @Override
    public EventHandler<SecurityState, Event> eventHandler() {
        return newEventHandlerBuilder()
                .forAnyState()
                .onEvent(UserPut.class, (s, e) -> {
                    var users = new HashMap<>(s.users());
                    users.put(e.user().name(), e.user());
                    return s.next(users, s.keys(), s.roles());
                })
                .onEvent(UserDeleted.class, (s, e) -> {
                    var users = new HashMap<>(s.users());
                    users.remove(e.name());
                    Map<String, ApiKey> keys = new HashMap<>(s.keys());
                    keys.values().removeIf(k -> k.owner().equals(e.name()));
                    return s.next(users, keys, s.roles());
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
                .build();
    }
}
