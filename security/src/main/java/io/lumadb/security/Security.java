package io.lumadb.security;

import io.lumadb.security.SecurityCatalogEntity.Outcome;
import io.lumadb.security.SecurityCatalogEntity.Result;
import io.lumadb.security.SecurityState.ApiKey;
import io.lumadb.security.SecurityState.User;
import io.lumadb.security.audit.AuditEvent;
import io.lumadb.security.audit.AuditLog;
import io.lumadb.security.tokens.TokenService;
import io.lumadb.security.tokens.TokenVerifier;
import io.lumadb.shards.ShardUnavailableException;
import io.lumadb.shards.Stages;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's security: who a caller is ({@link #authenticate}), what it may do ({@link
 * #authorize}), and changes to users, roles and keys, which go to the single-writer {@link
 * SecurityCatalogEntity}. The node keeps the newest catalog it has seen: every change arrives
 * over the cluster at once, and the node also re-reads the catalog every {@code
 * refresh-interval} in case a notice was lost.
 */
public final class Security implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Security.class);

    private final ActorSystem<?> system;
    private final SecuritySettings settings;
    private final PasswordHasher hasher;
    private final AtomicReference<SecurityState> state = new AtomicReference<>(SecurityState.EMPTY);
    private final Authenticator authenticator;
    private final TokenVerifier tokenVerifier;
    private final TokenService tokens;
    private volatile boolean loaded;
    private volatile AuditLog audit = AuditLog.NONE;
    /** Credentials whose login this node has recorded: who -> what they signed in with (see {@link #loggedIn}). */
    private final ConcurrentHashMap<LoginKey, String> logins = new ConcurrentHashMap<>();

    /** Whose logins {@link #logins} remembers: a user, or an API key or token of its owner. */
    private record LoginKey(Principal.Kind kind, String name, String keyId) {}

    private Security(ActorSystem<?> system, SecuritySettings settings) {
        this.system = system;
        this.settings = settings;
        this.hasher = new PasswordHasher(settings.passwordCost());
        this.tokenVerifier = settings.enabled() ? new TokenVerifier(settings.jwt(), state::get, this::refresh) : null;
        this.authenticator = settings.enabled()
                ? new Authenticator(
                        state::get, hasher, settings.credentialCacheSize(), settings.hashThreads(), tokenVerifier)
                : null;
        this.tokens = settings.enabled()
                ? new TokenService(
                        settings.jwt(),
                        state::get,
                        command -> this.<Result>ask(command::apply).thenApply(r -> {
                            remember(r.state());
                            return r;
                        }),
                        authenticator::verifyPassword)
                : null;
    }

    /** Security switched off: every caller is {@link Principal#UNRESTRICTED}. For tests without a node. */
    public static Security off() {
        return new Security(null, SecuritySettings.OFF);
    }

    /**
     * Starts this node's part: the security catalog entity (hosted wherever sharding puts it)
     * and the subscription to its changes. With security off, only the entity runs, so the
     * catalog stays manageable for when security is switched on.
     */
    public static Security start(ActorSystem<?> system, SecuritySettings settings) {
        Security security = new Security(system, settings);
        SecurityCatalogEntity.init(system);
        system.systemActorOf(security.listener(), "lumadb-security", Props.empty());
        system.scheduler()
                .scheduleWithFixedDelay(
                        settings.refreshInterval(),
                        settings.refreshInterval(),
                        () -> security.refresh().exceptionally(e -> null),
                        system.executionContext());
        return security;
    }

    private Behavior<SecurityCatalogEntity.Changed> listener() {
        return Behaviors.setup(ctx -> {
            ActorRef<Topic.Command<SecurityCatalogEntity.Changed>> topic =
                    ctx.spawn(SecurityCatalogEntity.topic(), "changes");
            topic.tell(Topic.subscribe(ctx.getSelf()));
            return Behaviors.receiveMessage(changed -> {
                remember(changed.state());
                return Behaviors.same();
            });
        });
    }

    public boolean enabled() {
        return settings.enabled();
    }

    /** The newest security catalog this node has seen. */
    public SecurityState state() {
        return state.get();
    }

    private SecurityState remember(SecurityState fresh) {
        loaded = true;
        SecurityState before = state.get();
        SecurityState now = state.accumulateAndGet(fresh, (old, next) -> next.version() >= old.version() ? next : old);
        if (now.version() > before.version()) {
            accessCache.clear();
            for (Runnable listener : listeners) {
                try {
                    listener.run();
                } catch (RuntimeException e) {
                    log.warn("a security change listener failed", e);
                }
            }
        }
        return now;
    }

    // ---- what a caller sees, also while it stays subscribed

    private final java.util.Set<Runnable> listeners = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.concurrent.ConcurrentHashMap<AccessKey, io.lumadb.shards.query.RowAccess> accessCache =
            new java.util.concurrent.ConcurrentHashMap<>();

    private record AccessKey(
            long version, Principal principal, Permission.Action action, boolean write, String db, String collection) {}

    /**
     * Runs {@code listener} after every change of the security catalog this node learns of (on the
     * thread that learnt it; keep it short). Returns the handle that removes it.
     */
    public AutoCloseable onChange(Runnable listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /**
     * What {@code principal} may see of ({@code write} false) or change in ({@code write} true)
     * {@code db/collection}, through its roles that grant {@code action} there; see {@link
     * SecurityState#access}. Remembered until the catalog changes.
     */
    public io.lumadb.shards.query.RowAccess access(
            Principal principal, Permission.Action action, boolean write, String db, String collection) {
        if (!settings.enabled() || principal.kind() == Principal.Kind.UNRESTRICTED) {
            return io.lumadb.shards.query.RowAccess.ALL;
        }
        SecurityState s = state.get();
        AccessKey key = new AccessKey(s.version(), principal, action, write, db, collection);
        var cached = accessCache.get(key);
        if (cached != null) {
            return cached;
        }
        var computed = s.access(principal, action, write, db, collection);
        if (accessCache.size() > 10_000) {
            accessCache.clear();
        }
        accessCache.put(key, computed);
        return computed;
    }

    /**
     * {@code principal} as the catalog of the moment has it: a user's or key's current roles; an
     * {@link AuthenticationException} once the user is gone, the key revoked, or the credential
     * expired. Subscriptions call it for every change they are about to deliver.
     */
    public Principal current(Principal principal) {
        if (!settings.enabled() || principal.kind() == Principal.Kind.UNRESTRICTED) {
            return principal;
        }
        long now = System.currentTimeMillis();
        if (principal.expiresAtMillis() != 0 && now >= principal.expiresAtMillis()) {
            throw new AuthenticationException("the credential of " + principal.describe() + " has expired");
        }
        SecurityState s = state.get();
        return switch (principal.kind()) {
            case USER -> {
                User u = s.users().get(principal.name());
                if (u == null) {
                    throw new AuthenticationException("the user '" + principal.name() + "' no longer exists");
                }
                yield u.roles().equals(principal.roles())
                        ? principal
                        : new Principal(principal.kind(), principal.name(), null, u.roles(), principal.claims(), 0);
            }
            case API_KEY -> {
                ApiKey k = s.keys().get(principal.keyId());
                if (k == null) {
                    throw new AuthenticationException("the API key " + principal.keyId() + " has been revoked");
                }
                if (k.expiredAt(now)) {
                    throw new AuthenticationException("the API key " + principal.keyId() + " has expired");
                }
                yield k.roles().equals(principal.roles())
                        ? principal
                        : new Principal(
                                principal.kind(),
                                principal.name(),
                                principal.keyId(),
                                k.roles(),
                                principal.claims(),
                                principal.expiresAtMillis());
            }
            default -> principal;
        };
    }

    private <T> CompletionStage<T> ask(Function<ActorRef<T>, SecurityCatalogEntity.Command> message) {
        return Stages.sameThread(SecurityCatalogEntity.ref(system).ask(message::apply, settings.askTimeout()))
                .exceptionallyCompose(e -> CompletableFuture.failedFuture(
                        new ShardUnavailableException("the security catalog is unavailable", e)));
    }

    // ---- the audit log

    /**
     * Sends this node's logins, failed logins and denials to {@code log} (the node's audit
     * trail); with security off nothing is recorded.
     */
    public void auditTo(AuditLog log) {
        this.audit = settings.enabled() ? log : AuditLog.NONE;
    }

    /** Where this node's audit events go; the API records administrative changes there. */
    public AuditLog audit() {
        return audit;
    }

    /** Reads the catalog's current state. */
    public CompletionStage<SecurityState> refresh() {
        return this.<SecurityState>ask(SecurityCatalogEntity.GetState::new).thenApply(this::remember);
    }

    // ---- who is calling

    /**
     * The caller named by the {@code Authorization} header's value: {@link
     * Principal#UNRESTRICTED} with security off; otherwise a user or API key, or a failed stage
     * ({@link AuthenticationException}, {@link Authenticator.Busy}).
     */
    public CompletionStage<Principal> authenticate(Optional<String> authorization) {
        if (!settings.enabled()) {
            return CompletableFuture.completedFuture(Principal.UNRESTRICTED);
        }
        if (!loaded) {
            return refresh().thenCompose(s -> authenticator.authenticate(authorization));
        }
        return authenticator.authenticate(authorization);
    }

    /**
     * {@link #authenticate(Optional)}, recording in the audit log a failed login, and a
     * successful one the first time this node sees the credential (for a user: per password; for
     * an API key: per key; for a token: per subject and expiry), not on every request.
     *
     * @param client the client's IP address, or null
     */
    public CompletionStage<Principal> authenticate(Optional<String> authorization, String client) {
        return authenticate(authorization).whenComplete((principal, failure) -> {
            if (principal != null && loggedIn(principal)) {
                audit.record(AuditEvent.login(principal, client));
            } else if (failure != null && unwrap(failure) instanceof AuthenticationException refused) {
                audit.record(AuditEvent.loginFailed(
                        tried(authorization), scheme(authorization), refused.getMessage(), client));
            }
        });
    }

    // ---- logins over the PostgreSQL protocol

    /** Makes up the salts of SCRAM exchanges for unknown users. */
    private final byte[] fakeSaltKey = newFakeSaltKey();

    private static byte[] newFakeSaltKey() {
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        return key;
    }

    /**
     * A SCRAM-SHA-256 exchange for a login as {@code name}. For an unknown user, or one without a
     * verifier, the exchange runs to its end with a salt made up from the name (the same on every
     * try) and then fails as a wrong password does.
     */
    public CompletionStage<Scram.Exchange> scram(String name) {
        CompletionStage<SecurityState> current = loaded ? CompletableFuture.completedFuture(state.get()) : refresh();
        return current.thenApply(s -> {
            User user = s.users().get(name);
            Optional<Scram.Verifier> verifier =
                    user == null ? Optional.empty() : Scram.Verifier.parse(user.scramVerifier());
            if (user != null && verifier.isEmpty()) {
                log.info(
                        "The user '{}' has no SCRAM-SHA-256 verifier (its password was set before they were"
                                + " kept); set its password again to sign in over the PostgreSQL protocol",
                        name);
            }
            byte[] salt = java.util.Arrays.copyOf(
                    java.util.HexFormat.of()
                            .parseHex(Secrets.sha256Hex(fakeSaltKey, name.getBytes(StandardCharsets.UTF_8))),
                    16);
            return new Scram.Exchange(verifier.orElse(null), salt);
        });
    }

    /**
     * The principal of the user {@code name}, who has just proved its password in a {@link
     * #scram} exchange; the login is recorded in the audit log.
     *
     * @param client the client's IP address, or null
     */
    public Principal scramLogin(String name, String client) {
        User user = state.get().users().get(name);
        if (user == null) {
            throw new AuthenticationException("the user '" + name + "' no longer exists");
        }
        Principal principal = new Principal(Principal.Kind.USER, user.name(), null, user.roles());
        if (loggedIn(principal)) {
            audit.record(AuditEvent.login(principal, client));
        }
        return principal;
    }

    /** Records a refused login over the PostgreSQL protocol. */
    public void scramLoginFailed(String name, String reason, String client) {
        audit.record(AuditEvent.loginFailed(new AuditEvent.Who(name, "user", null), "scram-sha-256", reason, client));
    }

    /** Whether this is the first login of this credential this node records (and remember it). */
    private boolean loggedIn(Principal principal) {
        if (principal.kind() == Principal.Kind.UNRESTRICTED || audit == AuditLog.NONE) {
            return false;
        }
        LoginKey who = new LoginKey(principal.kind(), principal.name(), principal.keyId());
        String with =
                switch (principal.kind()) {
                    case USER -> {
                        var user = state.get().users().get(principal.name());
                        yield user == null ? "" : user.passwordHash();
                    }
                    default -> Long.toString(principal.expiresAtMillis());
                };
        if (with.equals(logins.get(who))) {
            return false;
        }
        if (logins.size() >= Math.max(1000, settings.credentialCacheSize())) {
            logins.clear();
        }
        return !with.equals(logins.put(who, with));
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof java.util.concurrent.CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private static String scheme(Optional<String> authorization) {
        if (authorization.isEmpty()) {
            return "none";
        }
        String header = authorization.get().trim();
        int space = header.indexOf(' ');
        return (space < 0 ? header : header.substring(0, space)).toLowerCase(java.util.Locale.ROOT);
    }

    /** Whom a refused credential named, never its secret: a Basic user name, or an API key's id. */
    private static AuditEvent.Who tried(Optional<String> authorization) {
        String scheme = scheme(authorization);
        String value = authorization
                .map(h -> h.trim().indexOf(' ') < 0
                        ? ""
                        : h.trim().substring(h.trim().indexOf(' ') + 1).trim())
                .orElse("");
        if (scheme.equals("basic")) {
            try {
                String decoded = new String(java.util.Base64.getDecoder().decode(value), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                return colon < 0 ? null : new AuditEvent.Who(decoded.substring(0, colon), "user", null);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        if (scheme.equals("bearer")) {
            return ApiKeySecrets.parse(value)
                    .map(k -> new AuditEvent.Who(null, "api-key", k.id()))
                    .orElse(null);
        }
        return null;
    }

    /**
     * Checks that {@code principal} may do what {@code permission} names on the resource named by
     * {@code names} (path parameters).
     *
     * @throws AccessDeniedException if it may not
     */
    public void authorize(Principal principal, Permission permission, Map<String, String> names) {
        authorize(principal, permission, names, null, null);
    }

    /**
     * {@link #authorize(Principal, Permission, Map)}, recording a denial in the audit log.
     *
     * @param route the route, as {@code METHOD /template}, or null
     * @param client the client's IP address, or null
     */
    public void authorize(
            Principal principal, Permission permission, Map<String, String> names, String route, String client) {
        if (!state.get().allows(principal, permission.action(), permission.scope(), names)) {
            audit.record(AuditEvent.denied(principal, permission, names, route, client));
            throw new AccessDeniedException(principal.describe() + " may not "
                    + permission.action().jsonName() + " " + resource(permission, names));
        }
    }

    /** Whether {@code principal} may do {@code permission} on the resource named by {@code names}. */
    public boolean allows(Principal principal, Permission permission, Map<String, String> names) {
        return state.get().allows(principal, permission.action(), permission.scope(), names);
    }

    private static String resource(Permission permission, Map<String, String> names) {
        return switch (permission.scope()) {
            case CLUSTER -> "on the cluster";
            case DATABASE -> "in database '" + names.get(Permission.DB) + "'";
            case COLLECTION ->
                "in collection '" + names.get(Permission.DB) + "/" + names.get(Permission.COLLECTION) + "'";
            case TOPIC -> "on topic '" + names.get(Permission.TOPIC) + "'";
        };
    }

    /**
     * LumaDB's access and refresh tokens ({@code POST /api/v1/_auth/token}); empty with security
     * off, where there is nobody to sign in.
     */
    public Optional<TokenService> tokens() {
        return Optional.ofNullable(tokens);
    }

    // ---- the first admin

    /**
     * Creates the user {@code admin} if the catalog has no user: with the configured password, or
     * a generated one, which is returned (the caller shows it once). Empty if users exist or the
     * password was configured.
     */
    public CompletionStage<Optional<String>> bootstrap() {
        String configured = settings.adminPassword();
        String password = configured.isEmpty() ? generatePassword() : configured;
        User admin = new User(
                "admin",
                hasher.hash(password),
                List.of(RoleBinding.everywhere("admin")),
                now(),
                Scram.verifier(password));
        return this.<Result>ask(r -> new SecurityCatalogEntity.Bootstrap(admin, r))
                .thenApply(result -> {
                    remember(result.state());
                    if (result.outcome() != Outcome.CREATED) {
                        return Optional.empty();
                    }
                    log.info("Created the user 'admin' (the security catalog had no user)");
                    audit.record(AuditEvent.securityChange(
                            null,
                            null,
                            "create-user",
                            Map.of("user", "admin", "roles", List.of("admin"), "reason", "the catalog had no user")));
                    return configured.isEmpty() ? Optional.of(password) : Optional.empty();
                });
    }

    private static String generatePassword() {
        char[] alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789".toCharArray();
        SecureRandom random = new SecureRandom();
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 24; i++) {
            b.append(alphabet[random.nextInt(alphabet.length)]);
        }
        return b.toString();
    }

    // ---- changes

    /** Creates or updates a user; {@code password} null keeps an existing user's password. */
    public CompletionStage<Result> putUser(String name, String password, List<RoleBinding> roles) {
        Users.checkName(name);
        if (password != null) {
            Users.checkPassword(password);
        }
        // Hash off the caller's thread: Argon2id takes tens of milliseconds by design. With
        // security off (no password threads, no logins) the catalog is still managed, rarely.
        // The SCRAM verifier (4096 rounds of PBKDF2, a few milliseconds) is made alongside.
        java.util.function.Supplier<String[]> both =
                () -> new String[] {hasher.hash(password), Scram.verifier(password)};
        CompletionStage<String[]> hashed = password == null
                ? CompletableFuture.completedFuture(new String[2])
                : authenticator != null ? authenticator.offload(both) : CompletableFuture.supplyAsync(both);
        return hashed.thenCompose(
                h -> change(r -> new SecurityCatalogEntity.PutUser(new User(name, h[0], roles, now(), h[1]), r)));
    }

    public CompletionStage<Result> deleteUser(String name) {
        return change(r -> new SecurityCatalogEntity.DeleteUser(name, r));
    }

    public CompletionStage<Result> putRole(Role role) {
        return change(r -> new SecurityCatalogEntity.PutRole(role, r));
    }

    public CompletionStage<Result> deleteRole(String name) {
        return change(r -> new SecurityCatalogEntity.DeleteRole(name, r));
    }

    /** A created key: its stored form and the whole key, which is shown only this once. */
    public record CreatedKey(ApiKey key, String secret) {}

    /** Creates an API key owned by {@code owner}; {@code expiresAtMillis} 0 means never. */
    public CompletionStage<CreatedKey> createKey(
            String owner, String name, List<RoleBinding> roles, long expiresAtMillis) {
        var generated = ApiKeySecrets.generate();
        ApiKey key = new ApiKey(generated.id(), name, owner, generated.secretHash(), roles, now(), expiresAtMillis);
        return change(r -> new SecurityCatalogEntity.CreateKey(key, r))
                .thenApply(result -> new CreatedKey(key, generated.key()));
    }

    public CompletionStage<Result> revokeKey(String id) {
        return change(r -> new SecurityCatalogEntity.RevokeKey(id, r));
    }

    private CompletionStage<Result> change(Function<ActorRef<Result>, SecurityCatalogEntity.Command> message) {
        return this.<Result>ask(message).thenApply(result -> {
            remember(result.state());
            return switch (result.outcome()) {
                case CREATED, UPDATED, DELETED -> result;
                default -> throw new SecurityCatalogException(result.outcome(), describe(result));
            };
        });
    }

    private static String describe(Result r) {
        return switch (r.outcome()) {
            case NOT_FOUND -> "not found";
            case UNKNOWN_ROLE -> "there is no role '" + r.detail() + "'";
            case LAST_ADMIN ->
                "'" + r.detail() + "' is the last user administering the cluster; make another admin first";
            case ROLE_IN_USE -> "the role '" + r.detail() + "' is still held by a user or key";
            case BUILT_IN -> "the built-in role '" + r.detail() + "' cannot be changed";
            case PASSWORD_REQUIRED -> "a new user needs a password";
            case UNKNOWN_OWNER -> "there is no user '" + r.detail() + "' to own the key";
            default -> r.outcome().name();
        };
    }

    private static long now() {
        return System.currentTimeMillis();
    }

    @Override
    public void close() {
        if (authenticator != null) {
            authenticator.close();
        }
        if (tokenVerifier != null) {
            tokenVerifier.close();
        }
    }
}
