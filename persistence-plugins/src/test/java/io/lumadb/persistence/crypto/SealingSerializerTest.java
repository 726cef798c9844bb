package io.lumadb.persistence.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.lumadb.persistence.crypto.SealingSerializer.Stored;
import io.lumadb.persistence.testkit.TestKeys;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.Serializers;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import scala.concurrent.Await;
import scala.concurrent.duration.Duration;

/**
 * The sealing serializer on real Pekko serialization with Jackson CBOR as its delegate, as cluster
 * mode uses it: what it writes hides the message and names its key id, reads back under that key
 * (also after a rotation, until re-sealed under the new one), and fails clearly under a wrong,
 * missing or disabled key and when altered. Messages written in clear before encryption was turned
 * on still read, and re-sealing seals them.
 */
class SealingSerializerTest {

    /** A persisted message (a record, as LumaDB's events are). */
    public record Secret(String text, long n, List<String> tags) {}

    private static final String MARKER = "sealing-marker-5f1c";
    private static final Secret SECRET = new Secret(MARKER, 42, List.of("a", MARKER));

    @TempDir
    Path dir;

    /** The actor system of a node with these keys, {@link Secret} bound to {@code binding}. */
    private static Config config(Path keyFile, String binding) {
        String secret = Secret.class.getName();
        Config base = ConfigFactory.parseString("""
                pekko.loglevel = WARNING
                pekko.loggers = ["org.apache.pekko.event.slf4j.Slf4jLogger"]
                pekko.logging-filter = "org.apache.pekko.event.slf4j.Slf4jLoggingFilter"
                pekko.actor.serialization-bindings { "%1$s" = %2$s }
                pekko.serialization.jackson.jackson-cbor.allowed-class-prefix = ["%1$s"]
                """.formatted(secret, binding));
        if (keyFile != null) {
            base = TestKeys.encryption(keyFile).withFallback(base);
        }
        return base.withFallback(ConfigFactory.load());
    }

    private static void with(Config config, Consumer<ActorSystem> body) {
        ActorSystem system = ActorSystem.create("sealing-" + System.nanoTime(), config);
        try {
            body.accept(system);
        } finally {
            system.terminate();
            try {
                Await.result(system.whenTerminated(), Duration.create(10, TimeUnit.SECONDS));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private Path keys(String name, int... ids) {
        return TestKeys.keyFile(dir.resolve(name), ids);
    }

    /** A message as a journal row would store it. */
    private static Stored write(ActorSystem system, Object message) {
        Serialization serialization = SerializationExtension.get(system);
        Serializer serializer = serialization.findSerializerFor(message);
        return new Stored(
                serializer.identifier(),
                Serializers.manifestFor(serializer, message),
                serialization.serialize(message).get());
    }

    private static Object read(ActorSystem system, Stored stored) {
        return SerializationExtension.get(system)
                .deserialize(stored.bytes(), stored.serializerId(), stored.manifest())
                .get();
    }

    private static boolean contains(byte[] bytes, String text) {
        return new String(bytes, StandardCharsets.ISO_8859_1).contains(text);
    }

    @Test
    void sealsTheDelegatesBytesUnderTheActiveKeyAndReadsThemBack() {
        with(config(keys("k", 1), "lumadb-sealed"), system -> {
            Stored stored = write(system, SECRET);
            assertEquals(SealedMessageFormat.SERIALIZER_ID, stored.serializerId());
            assertEquals(SealedMessageFormat.MANIFEST, stored.manifest());
            assertTrue(EnvelopeFormat.isEnvelope(stored.bytes(), 0));
            assertEquals(1, EnvelopeFormat.keyId(stored.bytes(), 0));
            assertFalse(contains(stored.bytes(), MARKER), "the message is in clear");
            assertFalse(contains(stored.bytes(), "Secret"), "the class name is in clear");
            assertEquals(SECRET, read(system, stored));
            assertInstanceOf(
                    SealingSerializer.class, SerializationExtension.get(system).findSerializerFor(SECRET));
            assertNull(SealingSerializer.get(system).reseal(stored), "current rows need no rewrite");
        });
    }

    @Test
    void withoutTheBindingTheSameTypeIsWrittenInClear() {
        with(config(keys("k", 1), "jackson-cbor"), system -> {
            Stored stored = write(system, SECRET);
            assertEquals(33, stored.serializerId());
            assertTrue(contains(stored.bytes(), MARKER), "the test's check for clear text must be able to fail");
        });
    }

    @Test
    void aWrongMissingOrDisabledKeyIsAClearError() throws Exception {
        Stored[] sealed = new Stored[1];
        with(config(keys("k", 1), "lumadb-sealed"), system -> sealed[0] = write(system, SECRET));

        // Key id 1, other key bytes.
        byte[] other = new byte[Keyring.KEY_BYTES];
        other[0] = 7;
        Path wrong = dir.resolve("wrong");
        Files.writeString(wrong, "1:" + Base64.getEncoder().encodeToString(other) + "\n");
        Files.setPosixFilePermissions(wrong, PosixFilePermissions.fromString("rw-------"));
        with(config(wrong, "lumadb-sealed"), system -> {
            var e = assertThrows(EncryptionException.class, () -> read(system, sealed[0]));
            assertTrue(
                    e.getMessage().contains("key id 1") && e.getMessage().contains("fails authentication"),
                    e.getMessage());
        });
        with(config(keys("only-2", 2), "lumadb-sealed"), system -> {
            var e = assertThrows(EncryptionException.class, () -> read(system, sealed[0]));
            assertTrue(
                    e.getMessage().contains("key id 1") && e.getMessage().contains("not in the keyring"),
                    e.getMessage());
        });
        with(config(null, "jackson-cbor"), system -> {
            var e = assertThrows(EncryptionException.class, () -> read(system, sealed[0]));
            assertTrue(
                    e.getMessage().contains("key id 1") && e.getMessage().contains("encryption is off"),
                    e.getMessage());
        });
    }

    @Test
    void anAlteredMessageFailsAuthentication() {
        with(config(keys("k", 1), "lumadb-sealed"), system -> {
            Stored stored = write(system, SECRET);
            for (int at :
                    new int[] {3, EnvelopeFormat.HEADER_BYTES + 1, stored.bytes().length / 2, stored.bytes().length - 1
                    }) {
                byte[] altered = stored.bytes().clone();
                altered[at] ^= 0x01;
                var e = assertThrows(
                        EncryptionException.class,
                        () -> read(system, new Stored(stored.serializerId(), stored.manifest(), altered)),
                        "byte " + at);
                assertTrue(
                        e.getMessage().contains("fails authentication")
                                || e.getMessage().contains("key id"),
                        e.getMessage());
            }
            byte[] cut = java.util.Arrays.copyOf(stored.bytes(), EnvelopeFormat.OVERHEAD - 1);
            assertThrows(EncryptionException.class, () -> read(system, new Stored(stored.serializerId(), "1", cut)));
            assertThrows(
                    java.io.NotSerializableException.class,
                    () -> read(system, new Stored(stored.serializerId(), "2", stored.bytes())));
        });
    }

    @Test
    void afterARotationOldMessagesReadAndResealMovesThemToTheNewKey() {
        Stored[] underKey1 = new Stored[1];
        with(config(keys("k1", 1), "lumadb-sealed"), system -> underKey1[0] = write(system, SECRET));
        with(config(keys("k12", 1, 2), "lumadb-sealed"), system -> {
            assertEquals(SECRET, read(system, underKey1[0]));
            Stored fresh = write(system, SECRET);
            assertEquals(2, EnvelopeFormat.keyId(fresh.bytes(), 0));

            Stored resealed = SealingSerializer.get(system).reseal(underKey1[0]);
            assertNotNull(resealed);
            assertEquals(SealedMessageFormat.SERIALIZER_ID, resealed.serializerId());
            assertEquals(SealedMessageFormat.MANIFEST, resealed.manifest());
            assertEquals(2, EnvelopeFormat.keyId(resealed.bytes(), 0));
            assertEquals(SECRET, read(system, resealed));
            assertNull(SealingSerializer.get(system).reseal(resealed));
        });
        // Key 1 gone: only the re-sealed message still reads.
        with(config(keys("k2", 2), "lumadb-sealed"), system -> {
            assertThrows(EncryptionException.class, () -> read(system, underKey1[0]));
        });
    }

    @Test
    void messagesWrittenInClearStillReadAndResealSealsOnlyTypesBoundToIt() {
        Stored[] clear = new Stored[1];
        with(config(null, "jackson-cbor"), system -> clear[0] = write(system, SECRET));
        assertEquals(33, clear[0].serializerId());
        with(config(keys("k", 1), "lumadb-sealed"), system -> {
            assertEquals(SECRET, read(system, clear[0]));
            Stored resealed = SealingSerializer.get(system).reseal(clear[0]);
            assertNotNull(resealed);
            assertEquals(SealedMessageFormat.SERIALIZER_ID, resealed.serializerId());
            assertFalse(contains(resealed.bytes(), MARKER));
            assertEquals(SECRET, read(system, resealed));
            // The delegate reads exactly the bytes it once wrote.
            SealedMessageFormat.Plain plain = SealedMessageFormat.parse(Encryption.get(system)
                    .cipher()
                    .open(EnvelopeFormat.Domain.MESSAGE, SealedMessageFormat.NO_RECORD, resealed.bytes()));
            assertEquals(33, plain.delegateId());
            assertEquals(Secret.class.getName(), plain.manifest());
            assertArrayEquals(clear[0].bytes(), plain.payload());

            // A type bound to another serializer stays as it is.
            Stored string = write(system, "a plain string " + MARKER);
            assertTrue(string.serializerId() != SealedMessageFormat.SERIALIZER_ID);
            assertNull(SealingSerializer.get(system).reseal(string));
        });
        // With encryption off nothing is re-sealed.
        with(
                config(null, "jackson-cbor"),
                system -> assertNull(SealingSerializer.get(system).reseal(clear[0])));
    }
}
