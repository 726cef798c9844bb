package io.lumadb.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigUtil;
import io.lumadb.persistence.crypto.Encryption;
import io.lumadb.persistence.crypto.SealingSerializer;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The types LumaDB persists ({@code lumadb.persistence.persisted-types}, listed by each module
 * with an event-sourced entity) and, for cluster mode with encryption at rest on, the
 * configuration that has PostgreSQL receive them only sealed: each type bound to the sealing
 * serializer, which wins over the {@code CborSerializable} binding as the more specific one. Its
 * delegate (Jackson CBOR) reads and writes only classes bound to it or allowed by name, and these
 * are no longer bound to it, so every concrete persisted class is added to the delegate's {@code
 * allowed-class-prefix}: that keeps both new sealed messages and rows written in clear before
 * encryption was turned on readable.
 */
final class PersistedTypes {

    /** Where the modules list what they persist, as {@code name = "class"}. */
    static final String PATH = "lumadb.persistence.persisted-types";

    /** The sealing serializer's name in {@code pekko.actor.serializers}. */
    static final String SEALING_SERIALIZER = "lumadb-sealed";

    private PersistedTypes() {}

    /**
     * The listed types, by their name in the list.
     *
     * @throws StartupChecks.StartupException naming the entry when a class does not exist
     */
    static Map<String, Class<?>> listed(Config config) {
        Map<String, Class<?>> out = new TreeMap<>();
        for (var entry : config.getConfig(PATH).root().entrySet()) {
            String name = entry.getKey();
            String className = config.getString(PATH + "." + ConfigUtil.quoteString(name));
            try {
                out.put(name, Class.forName(className, false, PersistedTypes.class.getClassLoader()));
            } catch (ClassNotFoundException e) {
                throw new StartupChecks.StartupException(
                        PATH + "." + name + " names the class " + className + ", which does not exist");
            }
        }
        return out;
    }

    /**
     * The classes whose instances are of {@code type}: itself when it is a record or a final class,
     * the permitted subtypes (recursively) of a sealed type.
     *
     * @throws StartupChecks.StartupException when {@code type}, or a subtype, may be extended by
     *     anyone: then its classes cannot be listed
     */
    static List<Class<?>> concrete(Class<?> type) {
        Set<Class<?>> out = new LinkedHashSet<>();
        collect(type, type, out);
        return List.copyOf(out);
    }

    private static void collect(Class<?> root, Class<?> type, Set<Class<?>> out) {
        if (type.isSealed()) {
            if (!type.isInterface() && !Modifier.isAbstract(type.getModifiers())) {
                out.add(type);
            }
            for (Class<?> sub : type.getPermittedSubclasses()) {
                collect(root, sub, out);
            }
        } else if (Modifier.isFinal(type.getModifiers()) && !type.isInterface()) {
            out.add(type);
        } else {
            throw new StartupChecks.StartupException(PATH + " lists " + root.getName() + ", whose subtype "
                    + type.getName() + " is neither final, a record nor sealed: the persisted classes must be"
                    + " known in advance");
        }
    }

    /**
     * The configuration that seals the persisted types ({@code config} being the node's), or
     * nothing when encryption at rest is off.
     */
    static Map<String, Object> sealing(Config config) {
        if (!config.getBoolean(Encryption.ENABLED)) {
            return Map.of();
        }
        String delegate = config.getString(SealingSerializer.DELEGATE);
        String delegateAllowed =
                ConfigUtil.joinPath("pekko", "serialization", "jackson", delegate) + ".allowed-class-prefix";
        List<String> allowed = new ArrayList<>(
                config.hasPath(delegateAllowed)
                        ? config.getStringList(delegateAllowed)
                        : config.getStringList("pekko.serialization.jackson.allowed-class-prefix"));
        Map<String, Object> settings = new HashMap<>();
        for (Class<?> type : listed(config).values()) {
            settings.put(
                    ConfigUtil.joinPath("pekko", "actor", "serialization-bindings", type.getName()),
                    SEALING_SERIALIZER);
            for (Class<?> c : concrete(type)) {
                if (!allowed.contains(c.getName())) {
                    allowed.add(c.getName());
                }
            }
        }
        settings.put(delegateAllowed, allowed);
        return settings;
    }
}
