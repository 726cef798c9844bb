package io.lumadb.http;

import static io.lumadb.http.JsonResponses.json;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lumadb.security.Grant;
import io.lumadb.security.Permission;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Permission.Scope;
import io.lumadb.security.Principal;
import io.lumadb.security.Role;
import io.lumadb.security.RoleBinding;
import io.lumadb.security.RowRule;
import io.lumadb.security.Security;
import io.lumadb.security.SecurityCatalogEntity.Outcome;
import io.lumadb.security.SecurityCatalogException;
import io.lumadb.security.SecurityState;
import io.lumadb.security.Users;
import io.lumadb.security.tokens.TokenService;
import io.lumadb.shards.model.InvalidNameException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.StatusCodes;

/**
 * Users, roles, API keys and the rotation of the key that signs access tokens under {@code
 * /api/v1/_security}, and {@code whoami}. Changes go to the security catalog, which every node
 * applies at once. Secrets never leave: passwords are hashed before they are stored, an API key's
 * secret is shown once, in the answer that creates it, and a signing key's never.
 */
final class SecurityResource implements Resource {

    private static final String BASE = "/api/v1/_security";
    private static final Permission MANAGE = Permission.of(Action.MANAGE_USERS, Scope.CLUSTER);

    private final ApiContext api;

    SecurityResource(ApiContext api) {
        this.api = api;
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.get(BASE + "/whoami", "whoAmI", Permission.of(Action.SIGNED_IN, Scope.CLUSTER), this::whoAmI),
                Route.get(BASE + "/users", "listUsers", MANAGE, call -> listUsers()),
                Route.get(BASE + "/users/{user}", "getUser", MANAGE, this::getUser),
                Route.put(BASE + "/users/{user}", "putUser", MANAGE, this::putUser),
                Route.delete(BASE + "/users/{user}", "deleteUser", MANAGE, this::deleteUser),
                Route.get(BASE + "/roles", "listRoles", MANAGE, call -> listRoles()),
                Route.get(BASE + "/roles/{role}", "getRole", MANAGE, this::getRole),
                Route.put(BASE + "/roles/{role}", "putRole", MANAGE, this::putRole),
                Route.delete(BASE + "/roles/{role}", "deleteRole", MANAGE, this::deleteRole),
                Route.get(BASE + "/keys", "listKeys", MANAGE, call -> listKeys()),
                Route.post(BASE + "/keys", "createKey", MANAGE, this::createKey),
                Route.get(BASE + "/keys/{key}", "getKey", MANAGE, this::getKey),
                Route.delete(BASE + "/keys/{key}", "revokeKey", MANAGE, this::revokeKey),
                Route.post(BASE + "/signing-keys/_rotate", "rotateSigningKey", MANAGE, this::rotateSigningKey));
    }

    private Security security() {
        return api.security();
    }

    private SecurityState state() {
        return security().state();
    }

    // ---- whoami

    private CompletionStage<HttpResponse> whoAmI(Call call) {
        Principal p = call.principal();
        ObjectNode body = JsonResponses.object();
        body.put("name", p.name());
        body.put("kind", p.kind().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        if (p.keyId() != null) {
            body.put("key", p.keyId());
        }
        bindings(body.putArray("roles"), p.roles());
        ArrayNode grants = body.putArray("grants");
        state().grants(p.roles()).forEach(g -> grants.add(grant(g)));
        body.put("securityEnabled", security().enabled());
        return JsonResponses.done(json(StatusCodes.OK, body));
    }

    // ---- users

    private CompletionStage<HttpResponse> listUsers() {
        return security().refresh().thenApply(s -> {
            ObjectNode body = JsonResponses.object();
            ArrayNode users = body.putArray("users");
            new TreeMap<>(s.users()).values().forEach(u -> users.add(user(u)));
            return json(StatusCodes.OK, body);
        });
    }

    private CompletionStage<HttpResponse> getUser(Call call) {
        String name = Users.checkName(call.parameter("user"));
        return security().refresh().thenApply(s -> {
            SecurityState.User u = s.users().get(name);
            if (u == null) {
                throw ApiException.notFound("user", "no user '" + name + "'");
            }
            return json(StatusCodes.OK, user(u));
        });
    }

    private CompletionStage<HttpResponse> putUser(Call call) {
        String name = userName(call);
        return api.bodies()
                .readJson(call.request(), api.settings().maxDocumentBytes())
                .thenCompose(json -> {
                    ObjectNode body = JsonBodies.requireObject(json, "");
                    allowOnly(body, "password", "roles");
                    String password = null;
                    JsonNode pw = body.get("password");
                    if (pw != null) {
                        if (!pw.isTextual()) {
                            throw ApiException.badRequest(
                                    "invalid-user", "Invalid user", "password must be a string", "/password");
                        }
                        password = pw.textValue();
                        try {
                            Users.checkPassword(password);
                        } catch (IllegalArgumentException e) {
                            throw ApiException.badRequest("invalid-user", "Invalid user", e.getMessage(), "/password");
                        }
                    }
                    List<RoleBinding> roles = roleBindings(body.get("roles"));
                    boolean passwordSet = password != null;
                    return security().putUser(name, password, roles).thenApply(result -> {
                        Audits.securityChange(
                                api,
                                call,
                                result.outcome() == Outcome.CREATED ? "create-user" : "update-user",
                                Map.of("user", name, "roles", audited(roles), "passwordSet", passwordSet));
                        var u = result.state().users().get(name);
                        return json(
                                result.outcome() == Outcome.CREATED ? StatusCodes.CREATED : StatusCodes.OK, user(u));
                    });
                });
    }

    private CompletionStage<HttpResponse> deleteUser(Call call) {
        String name = userName(call);
        return security()
                .deleteUser(name)
                .handle((r, failure) -> notFoundAs(failure, "user", name))
                .thenApply(r -> {
                    Audits.securityChange(api, call, "delete-user", Map.of("user", name));
                    return json(StatusCodes.OK, JsonResponses.object().put("deleted", name));
                });
    }

    private static String userName(Call call) {
        try {
            return Users.checkName(call.parameter("user"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid-name", "Invalid name", e.getMessage(), "user");
        }
    }

    private static ObjectNode user(SecurityState.User u) {
        ObjectNode node = JsonResponses.object();
        node.put("name", u.name());
        bindings(node.putArray("roles"), u.roles());
        node.put("created", Instant.ofEpochMilli(u.createdAtMillis()).toString());
        return node;
    }

    // ---- roles

    private CompletionStage<HttpResponse> listRoles() {
        return security().refresh().thenApply(s -> {
            ObjectNode body = JsonResponses.object();
            ArrayNode roles = body.putArray("roles");
            s.allRoles().forEach(r -> roles.add(role(r)));
            return json(StatusCodes.OK, body);
        });
    }

    private CompletionStage<HttpResponse> getRole(Call call) {
        String name = roleName(call);
        return security()
                .refresh()
                .thenApply(s -> json(
                        StatusCodes.OK,
                        role(s.role(name).orElseThrow(() -> ApiException.notFound("role", "no role '" + name + "'")))));
    }

    private CompletionStage<HttpResponse> putRole(Call call) {
        String name = roleName(call);
        return api.bodies()
                .readJson(call.request(), api.settings().maxDocumentBytes())
                .thenCompose(json -> {
                    ObjectNode body = JsonBodies.requireObject(json, "");
                    allowOnly(body, "grants", "rules");
                    JsonNode grants = body.get("grants");
                    if (grants == null || !grants.isArray()) {
                        throw invalidRole(
                                "grants must be an array of {\"resource\": ..., \"actions\": [...]}", "/grants");
                    }
                    List<Grant> list = new ArrayList<>();
                    for (int i = 0; i < grants.size(); i++) {
                        list.add(grant(grants.get(i), "/grants/" + i));
                    }
                    List<RowRule> rules = new ArrayList<>();
                    JsonNode ruleNodes = body.get("rules");
                    if (ruleNodes != null && !ruleNodes.isArray()) {
                        throw invalidRole(
                                "rules must be an array of {\"resource\", \"read\", \"write\", \"hide\"}", "/rules");
                    }
                    if (ruleNodes != null) {
                        for (int i = 0; i < ruleNodes.size(); i++) {
                            rules.add(rule(ruleNodes.get(i), "/rules/" + i));
                        }
                    }
                    return security()
                            .putRole(new Role(name, list, false, rules))
                            .thenApply(result -> {
                                ObjectNode rendered =
                                        role(result.state().role(name).orElseThrow());
                                Audits.securityChange(
                                        api,
                                        call,
                                        result.outcome() == Outcome.CREATED ? "create-role" : "update-role",
                                        Map.of(
                                                "role",
                                                name,
                                                "grants",
                                                io.lumadb.shards.model.DocumentJson.mapper()
                                                        .convertValue(rendered.get("grants"), List.class),
                                                "rules",
                                                io.lumadb.shards.model.DocumentJson.mapper()
                                                        .convertValue(rendered.path("rules"), List.class)));
                                return json(
                                        result.outcome() == Outcome.CREATED ? StatusCodes.CREATED : StatusCodes.OK,
                                        rendered);
                            });
                });
    }

    private CompletionStage<HttpResponse> deleteRole(Call call) {
        String name = roleName(call);
        return security()
                .deleteRole(name)
                .handle((r, failure) -> notFoundAs(failure, "role", name))
                .thenApply(r -> {
                    Audits.securityChange(api, call, "delete-role", Map.of("role", name));
                    return json(StatusCodes.OK, JsonResponses.object().put("deleted", name));
                });
    }

    private static String roleName(Call call) {
        try {
            return Role.checkName(call.parameter("role"));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("invalid-name", "Invalid name", e.getMessage(), "role");
        }
    }

    private static Grant grant(JsonNode node, String pointer) {
        if (node == null || !node.isObject()) {
            throw invalidRole("a grant is {\"resource\": ..., \"actions\": [...]}", pointer);
        }
        for (var names = node.fieldNames(); names.hasNext(); ) {
            String f = names.next();
            if (!f.equals("resource") && !f.equals("actions")) {
                throw invalidRole("unknown field '" + f + "' in a grant", pointer + "/" + f);
            }
        }
        JsonNode resource = node.get("resource");
        JsonNode actions = node.get("actions");
        if (resource == null || !resource.isTextual()) {
            throw invalidRole("a grant's resource is a string", pointer + "/resource");
        }
        if (actions == null || !actions.isArray() || actions.isEmpty()) {
            throw invalidRole(
                    "a grant's actions are a non-empty array of " + Action.grantableNames(), pointer + "/actions");
        }
        EnumSet<Action> set = EnumSet.noneOf(Action.class);
        for (int i = 0; i < actions.size(); i++) {
            JsonNode a = actions.get(i);
            try {
                if (!a.isTextual()) {
                    throw new IllegalArgumentException("an action is a string");
                }
                set.add(Action.fromJsonName(a.textValue()));
            } catch (IllegalArgumentException e) {
                throw invalidRole(e.getMessage(), pointer + "/actions/" + i);
            }
        }
        try {
            return new Grant(set, resource.textValue());
        } catch (IllegalArgumentException e) {
            throw invalidRole(e.getMessage(), pointer + "/resource");
        }
    }

    private static RowRule rule(JsonNode node, String pointer) {
        if (node == null || !node.isObject()) {
            throw invalidRole(
                    "a rule is {\"resource\": ..., \"read\": {...}, \"write\": {...}, \"hide\": [...]}", pointer);
        }
        for (var names = node.fieldNames(); names.hasNext(); ) {
            String f = names.next();
            if (!List.of("resource", "read", "write", "hide").contains(f)) {
                throw invalidRole("unknown field '" + f + "' in a rule", pointer + "/" + f);
            }
        }
        JsonNode resource = node.get("resource");
        if (resource == null || !resource.isTextual()) {
            throw invalidRole(
                    "a rule's resource is *, db:<database> or db:<database>/<collection>", pointer + "/resource");
        }
        List<String> hide = new ArrayList<>();
        JsonNode hideNode = node.get("hide");
        if (hideNode != null) {
            if (!hideNode.isArray()) {
                throw invalidRole("hide is an array of field paths", pointer + "/hide");
            }
            for (int i = 0; i < hideNode.size(); i++) {
                if (!hideNode.get(i).isTextual()) {
                    throw invalidRole("hide is an array of field paths", pointer + "/hide/" + i);
                }
                hide.add(hideNode.get(i).textValue());
            }
        }
        try {
            return new RowRule(resource.textValue(), nullable(node.get("read")), nullable(node.get("write")), hide);
        } catch (IllegalArgumentException e) {
            throw invalidRole(e.getMessage(), pointer);
        }
    }

    private static JsonNode nullable(JsonNode node) {
        return node == null || node.isNull() ? null : node;
    }

    private static ApiException invalidRole(String detail, String pointer) {
        return ApiException.badRequest("invalid-role", "Invalid role", detail, pointer);
    }

    private static ObjectNode role(Role r) {
        ObjectNode node = JsonResponses.object();
        node.put("name", r.name());
        node.put("builtIn", r.builtIn());
        ArrayNode grants = node.putArray("grants");
        r.grants().forEach(g -> grants.add(grant(g)));
        ArrayNode rules = node.putArray("rules");
        for (RowRule rule : r.rules()) {
            ObjectNode out = rules.addObject().put("resource", rule.resource());
            if (rule.read() != null) {
                out.set("read", rule.read());
            }
            if (rule.write() != null) {
                out.set("write", rule.write());
            }
            ArrayNode hide = out.putArray("hide");
            rule.hide().forEach(hide::add);
        }
        return node;
    }

    private static ObjectNode grant(Grant g) {
        ObjectNode node = JsonResponses.object();
        node.put("resource", g.resource());
        ArrayNode actions = node.putArray("actions");
        g.actionNames().forEach(actions::add);
        return node;
    }

    // ---- API keys

    private CompletionStage<HttpResponse> listKeys() {
        return security().refresh().thenApply(s -> {
            ObjectNode body = JsonResponses.object();
            ArrayNode keys = body.putArray("keys");
            new TreeMap<>(s.keys()).values().forEach(k -> keys.add(key(k)));
            return json(StatusCodes.OK, body);
        });
    }

    private CompletionStage<HttpResponse> getKey(Call call) {
        String id = call.parameter("key");
        return security().refresh().thenApply(s -> {
            SecurityState.ApiKey k = s.keys().get(id);
            if (k == null) {
                throw ApiException.notFound("key", "no API key '" + id + "' (revoked, or never created)");
            }
            return json(StatusCodes.OK, key(k));
        });
    }

    private CompletionStage<HttpResponse> createKey(Call call) {
        return api.bodies()
                .readJson(call.request(), api.settings().maxDocumentBytes())
                .thenCompose(json -> {
                    ObjectNode body = JsonBodies.requireObject(json, "");
                    allowOnly(body, "name", "roles", "expires", "owner");
                    JsonNode nameNode = body.get("name");
                    if (nameNode == null
                            || !nameNode.isTextual()
                            || nameNode.textValue().isBlank()
                            || nameNode.textValue().length() > 200) {
                        throw invalidKey(
                                "name is a string of 1 to 200 characters that says what the key is for", "/name");
                    }
                    List<RoleBinding> roles = roleBindings(body.get("roles"));
                    long expires = expires(body.get("expires"));
                    String owner = call.principal().name();
                    JsonNode ownerNode = body.get("owner");
                    if (ownerNode != null) {
                        if (!ownerNode.isTextual()) {
                            throw invalidKey("owner is a user name", "/owner");
                        }
                        owner = ownerNode.textValue();
                    }
                    return security()
                            .createKey(owner, nameNode.textValue(), roles, expires)
                            .thenApply(created -> {
                                var k = created.key();
                                Map<String, Object> details = new java.util.LinkedHashMap<>();
                                details.put("key", k.id());
                                details.put("name", k.name());
                                details.put("owner", k.owner());
                                details.put("roles", audited(k.roles()));
                                details.put(
                                        "expires",
                                        k.expiresAtMillis() == 0
                                                ? null
                                                : Instant.ofEpochMilli(k.expiresAtMillis())
                                                        .toString());
                                Audits.securityChange(api, call, "create-key", details);
                                ObjectNode out = key(created.key());
                                out.put("secret", created.secret());
                                return json(StatusCodes.CREATED, out);
                            });
                });
    }

    private static long expires(JsonNode node) {
        if (node == null || node.isNull()) {
            return 0;
        }
        if (!node.isTextual()) {
            throw invalidKey(
                    "expires is an ISO-8601 instant (2027-01-01T00:00:00Z) or a duration (P30D, PT12H)", "/expires");
        }
        String text = node.textValue();
        long at;
        try {
            at = text.startsWith("P")
                    ? System.currentTimeMillis()
                            + java.time.Duration.parse(text).toMillis()
                    : Instant.parse(text).toEpochMilli();
        } catch (DateTimeParseException | ArithmeticException e) {
            throw invalidKey(
                    "expires is an ISO-8601 instant (2027-01-01T00:00:00Z) or a duration (P30D, PT12H): " + text,
                    "/expires");
        }
        if (at <= System.currentTimeMillis()) {
            throw invalidKey("expires lies in the past: " + text, "/expires");
        }
        return at;
    }

    private CompletionStage<HttpResponse> revokeKey(Call call) {
        String id = call.parameter("key");
        return security()
                .revokeKey(id)
                .handle((r, failure) -> notFoundAs(failure, "key", id))
                .thenApply(r -> {
                    Audits.securityChange(api, call, "revoke-key", Map.of("key", id));
                    return json(StatusCodes.OK, JsonResponses.object().put("revoked", id));
                });
    }

    private static ApiException invalidKey(String detail, String pointer) {
        return ApiException.badRequest("invalid-key", "Invalid API key request", detail, pointer);
    }

    private static ObjectNode key(SecurityState.ApiKey k) {
        ObjectNode node = JsonResponses.object();
        node.put("id", k.id());
        node.put("name", k.name());
        node.put("owner", k.owner());
        bindings(node.putArray("roles"), k.roles());
        node.put("created", Instant.ofEpochMilli(k.createdAtMillis()).toString());
        if (k.expiresAtMillis() != 0) {
            node.put("expires", Instant.ofEpochMilli(k.expiresAtMillis()).toString());
        } else {
            node.putNull("expires");
        }
        return node;
    }

    // ---- the key that signs access tokens

    /** Takes no body (one sent is ignored): there is nothing to choose, the key is random. */
    private CompletionStage<HttpResponse> rotateSigningKey(Call call) {
        TokenService tokens = security()
                .tokens()
                .orElseThrow(() -> new ApiException(
                        409,
                        "security-off",
                        "Security is off",
                        "security is off (lumadb.security.enabled): no token is signed, so there is no signing"
                                + " key to rotate",
                        null));
        return tokens.rotateSigningKey().thenApply(rotation -> {
            Map<String, Object> details = new java.util.LinkedHashMap<>();
            details.put("kid", rotation.kid());
            details.put("previousKid", rotation.previousKid());
            Audits.securityChange(api, call, "rotate-signing-key", details);
            ObjectNode body = JsonResponses.object();
            body.put("kid", rotation.kid());
            body.put("created", Instant.ofEpochMilli(rotation.createdAtMillis()).toString());
            if (rotation.previousKid() == null) {
                body.putNull("previous");
            } else {
                body.putObject("previous")
                        .put("kid", rotation.previousKid())
                        .put(
                                "verifiesUntil",
                                Instant.ofEpochMilli(rotation.previousVerifiesUntilMillis())
                                        .toString());
            }
            return json(StatusCodes.OK, body);
        });
    }

    // ---- shared

    /** Role bindings as the audit log shows them: {@code "read"} or {@code {"role": ..., "database": ...}}. */
    private static List<Object> audited(List<RoleBinding> bindings) {
        return bindings.stream()
                .<Object>map(b -> b.database() == null ? b.role() : Map.of("role", b.role(), "database", b.database()))
                .toList();
    }

    /**
     * Role bindings: {@code "readWrite"} (everywhere) or {@code {"role": "readWrite", "database":
     * "shop"}} (in one database).
     */
    private static List<RoleBinding> roleBindings(JsonNode node) {
        if (node == null || !node.isArray()) {
            throw ApiException.badRequest(
                    "invalid-roles",
                    "Invalid roles",
                    "roles is an array of role names or {\"role\": ..., \"database\": ...}",
                    "/roles");
        }
        List<RoleBinding> out = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode b = node.get(i);
            String pointer = "/roles/" + i;
            try {
                if (b.isTextual()) {
                    out.add(RoleBinding.everywhere(b.textValue()));
                } else if (b.isObject()
                        && b.path("role").isTextual()
                        && b.size() <= 2
                        && (b.get("database") == null || b.get("database").isTextual())
                        && (b.size() == 1 || b.has("database"))) {
                    out.add(new RoleBinding(
                            b.get("role").textValue(),
                            b.has("database") ? b.get("database").textValue() : null));
                } else {
                    throw new IllegalArgumentException(
                            "a role binding is a role name or {\"role\": ..., \"database\": ...}");
                }
            } catch (InvalidNameException e) {
                throw ApiException.badRequest("invalid-roles", "Invalid roles", e.getMessage(), pointer + "/database");
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("invalid-roles", "Invalid roles", e.getMessage(), pointer);
            }
        }
        return out;
    }

    private static void bindings(ArrayNode into, List<RoleBinding> roles) {
        for (RoleBinding b : roles) {
            if (b.database() == null) {
                into.add(b.role());
            } else {
                into.addObject().put("role", b.role()).put("database", b.database());
            }
        }
    }

    private static void allowOnly(ObjectNode body, String... fields) {
        List<String> allowed = List.of(fields);
        for (var names = body.fieldNames(); names.hasNext(); ) {
            String f = names.next();
            if (!allowed.contains(f)) {
                throw ApiException.badRequest(
                        "unknown-field",
                        "Unknown field",
                        "unknown field '" + f + "'; the fields are " + allowed,
                        "/" + f);
            }
        }
    }

    /** Passes a result through, turning the catalog's "not found" into a 404 naming what was missing. */
    private static <T> T notFoundAs(Throwable failure, String what, String name) {
        if (failure == null) {
            return null;
        }
        Throwable e = failure instanceof java.util.concurrent.CompletionException && failure.getCause() != null
                ? failure.getCause()
                : failure;
        if (e instanceof SecurityCatalogException s && s.outcome() == Outcome.NOT_FOUND) {
            throw ApiException.notFound(what, "no " + what + " '" + name + "'");
        }
        throw e instanceof RuntimeException r ? r : new java.util.concurrent.CompletionException(e);
    }
}
