package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lumadb.persistence.crypto.SealedMessageFormat;
import io.lumadb.persistence.crypto.SealingSerializer;
import io.lumadb.shards.catalog.CatalogEntity;
import io.lumadb.shards.catalog.CatalogSnapshot;
import io.lumadb.testkit.TestKeys;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.concurrent.Await;
import scala.concurrent.duration.Duration;

/**
 * lumadb.persistence.persisted-types lists every event and snapshot type of every event-sourced
 * entity of LumaDB (so cluster mode with encryption on leaves none in clear), and in that mode
 * Pekko serialization seals them and reads them back; in embedded mode, or with encryption off,
 * nothing is bound to the sealing serializer.
 */
class PersistedTypesTest {

    @TempDir
    Path dir;

    /** The event and state types of each event-sourced entity among LumaDB's main classes. */
    private static Map<Class<?>, List<Class<?>>> persistedByEntity() {
        Map<Class<?>, List<Class<?>>> out = new HashMap<>();
        for (JavaClass c : new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.lumadb")) {
            if (c.isAssignableTo(EventSourcedBehavior.class) && !c.reflect().equals(EventSourcedBehavior.class)) {
                out.put(c.reflect(), eventAndState(c.reflect()));
            }
        }
        return out;
    }

    /** The {@code Event} and {@code State} type arguments an entity gives EventSourcedBehavior. */
    private static List<Class<?>> eventAndState(Class<?> entity) {
        for (Type t = entity.getGenericSuperclass(); t != null; ) {
            if (t instanceof ParameterizedType p
                    && p.getRawType() instanceof Class<?> raw
                    && EventSourcedBehavior.class.isAssignableFrom(raw)
                    && p.getActualTypeArguments().length == 3) {
                return List.of((Class<?>) p.getActualTypeArguments()[1], (Class<?>) p.getActualTypeArguments()[2]);
            }
            Class<?> raw = t instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) t;
            t = raw.getGenericSuperclass();
        }
        throw new AssertionError(entity + " has no EventSourcedBehavior<Command, Event, State> superclass");
    }

    /** The persisted types not covered by a listed type. */
    private static List<String> unlisted(Map<Class<?>, List<Class<?>>> persisted, Collection<Class<?>> listed) {
        List<String> missing = new ArrayList<>();
        persisted.forEach((entity, types) -> {
            for (Class<?> type : types) {
                if (listed.stream().noneMatch(l -> l.isAssignableFrom(type))) {
                    missing.add(entity.getSimpleName() + ": " + type.getName());
                }
            }
        });
        return missing;
    }

    @Test
    void everyEventAndSnapshotTypeOfEveryEntityIsListed() {
        Map<Class<?>, List<Class<?>>> persisted = persistedByEntity();
        List<String> names =
                persisted.keySet().stream().map(Class::getSimpleName).sorted().toList();
        assertTrue(
                names.containsAll(
                        List.of("CatalogEntity", "ConsumerGroupEntity", "SecurityCatalogEntity", "ShardWriter")),
                "entities found: " + names);
        Collection<Class<?>> listed =
                PersistedTypes.listed(ConfigFactory.load()).values();
        assertEquals(List.of(), unlisted(persisted, listed), "add these to " + PersistedTypes.PATH);

        // The check can fail: without one listed type, its entity's types are reported.
        List<Class<?>> fewer = new ArrayList<>(listed);
        assertTrue(fewer.remove(CatalogSnapshot.class));
        assertEquals(List.of("CatalogEntity: " + CatalogSnapshot.class.getName()), unlisted(persisted, fewer));
    }

    @Test
    void concreteTypesArePermittedSubtypesAndOpenTypesAreRefused() {
        List<Class<?>> events = PersistedTypes.concrete(CatalogEntity.Event.class);
        assertTrue(events.contains(CatalogEntity.DatabaseCreated.class), events.toString());
        assertTrue(events.stream().noneMatch(Class::isInterface), events.toString());
        assertEquals(List.of(CatalogSnapshot.class), PersistedTypes.concrete(CatalogSnapshot.class));
        var e = assertThrows(StartupChecks.StartupException.class, () -> PersistedTypes.concrete(Runnable.class));
        assertTrue(e.getMessage().contains("java.lang.Runnable"), e.getMessage());
        var missing = assertThrows(
                StartupChecks.StartupException.class,
                () -> PersistedTypes.listed(
                        ConfigFactory.parseString(PersistedTypes.PATH + ".ghost = \"io.lumadb.NoSuchEvent\"")
                                .withFallback(ConfigFactory.load())));
        assertTrue(missing.getMessage().contains(PersistedTypes.PATH + ".ghost"), missing.getMessage());
    }

    private static String binding(Config c, Class<?> type) {
        String path = "pekko.actor.serialization-bindings.\"" + type.getName() + "\"";
        return c.hasPath(path) ? c.getString(path) : "(none)";
    }

    @Test
    void onlyClusterModeWithEncryptionOnBindsThePersistedTypes() throws Exception {
        String key = TestKeys.keyFile(dir, 1).toString();
        Config embedded = LumaDbServer.config(
                ConfigFactory.parseMap(Map.of("lumadb.encryption.enabled", "on", "lumadb.encryption.key-file", key)));
        Config clusterClear = LumaDbServer.config(ConfigFactory.parseMap(Map.of("lumadb.mode", "cluster")));
        Config clusterSealed = LumaDbServer.config(ConfigFactory.parseMap(Map.of(
                "lumadb.mode", "cluster", "lumadb.encryption.enabled", "on", "lumadb.encryption.key-file", key)));
        assertEquals("(none)", binding(embedded, CatalogEntity.Event.class));
        assertEquals("(none)", binding(clusterClear, CatalogEntity.Event.class));
        for (Class<?> type : PersistedTypes.listed(clusterSealed).values()) {
            assertEquals(PersistedTypes.SEALING_SERIALIZER, binding(clusterSealed, type), type.getName());
        }
        List<String> allowed =
                clusterSealed.getStringList("pekko.serialization.jackson.jackson-cbor.allowed-class-prefix");
        assertTrue(allowed.contains(CatalogEntity.DatabaseCreated.class.getName()), allowed.toString());
        assertFalse(allowed.contains(CatalogEntity.Event.class.getName()), allowed.toString());
    }

    @Test
    void withTheClusterBindingsPersistedTypesAreSealedAndReadBack() throws Exception {
        Config cluster = LumaDbServer.config(ConfigFactory.parseMap(Map.of(
                "lumadb.mode",
                "cluster",
                "lumadb.encryption.enabled",
                "on",
                "lumadb.encryption.key-file",
                TestKeys.keyFile(dir, 1).toString())));
        // Only the serialization settings matter here: a local actor system, no cluster.
        Config local = ConfigFactory.parseString("pekko.actor.provider = local\npekko.loglevel = WARNING")
                .withFallback(cluster);
        ActorSystem system = ActorSystem.create("persisted-types", local);
        try {
            Serialization serialization = SerializationExtension.get(system);
            for (Object message : List.of(
                    new CatalogEntity.DatabaseCreated("secret-db-name", 7),
                    new CatalogSnapshot(3, Map.of()),
                    "a command-like string stays with its own serializer")) {
                var serializer = serialization.findSerializerFor(message);
                byte[] bytes = serialization.serialize(message).get();
                String manifest = org.apache.pekko.serialization.Serializers.manifestFor(serializer, message);
                if (message instanceof String) {
                    assertFalse(serializer instanceof SealingSerializer);
                    continue;
                }
                assertInstanceOf(
                        SealingSerializer.class, serializer, message.getClass().getName());
                assertEquals(SealedMessageFormat.MANIFEST, manifest);
                assertFalse(new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).contains("secret-db-name"));
                assertEquals(
                        message,
                        serialization
                                .deserialize(bytes, serializer.identifier(), manifest)
                                .get());
            }
        } finally {
            system.terminate();
            Await.result(system.whenTerminated(), Duration.create(10, TimeUnit.SECONDS));
        }
    }
}
