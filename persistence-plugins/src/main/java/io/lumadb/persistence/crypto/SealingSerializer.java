package io.lumadb.persistence.crypto;

import io.lumadb.persistence.crypto.EnvelopeFormat.Domain;
import java.io.NotSerializableException;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.apache.pekko.serialization.Serializer;
import org.apache.pekko.serialization.SerializerWithStringManifest;
import org.apache.pekko.serialization.Serializers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Option;

/**
 * A Pekko serializer that encrypts: it has another serializer (the delegate, {@value #DELEGATE},
 * normally Jackson CBOR) write a message, and seals the bytes with the node's {@link ValueCipher}
 * under the active key ({@link SealedMessageFormat}). Journal plugins that store whatever Pekko
 * serialization gives them, such as pekko-persistence-jdbc in cluster mode, thereby store the
 * messages bound to it encrypted; the node binds the types it persists to it when encryption at
 * rest is on.
 *
 * <p>Always registered, so that a node reads sealed messages whatever its bindings: with the key
 * ring that holds their key id, and otherwise with an {@link EncryptionException} naming the key
 * id. Messages stored before encryption was turned on keep the delegate's serializer id and are
 * read by it as before. {@link #reseal} tells a stored message's rewrite under the active key.
 */
public final class SealingSerializer extends SerializerWithStringManifest {

    /** The config key naming the delegate: a serializer name of {@code pekko.actor.serializers}. */
    public static final String DELEGATE = "lumadb.encryption.message-delegate";

    private static final Logger log = LoggerFactory.getLogger(SealingSerializer.class);

    private final ExtendedActorSystem system;
    /** Serialization and the cipher, looked up at first use: neither exists yet when Pekko makes this. */
    private volatile Resolved resolved;
    /** Whether messages of a (serializer id, manifest) in clear are of a type this serializer seals. */
    private final ConcurrentHashMap<String, Boolean> sealedTypes = new ConcurrentHashMap<>();

    private record Resolved(Serialization serialization, ValueCipher cipher, Serializer delegate) {}

    /** Made by Pekko's serialization from {@code pekko.actor.serializers}. */
    public SealingSerializer(ExtendedActorSystem system) {
        this.system = system;
    }

    /**
     * The sealing serializer of {@code system}.
     *
     * @throws IllegalStateException if it is not registered (reference.conf of persistence-plugins
     *     registers it)
     */
    public static SealingSerializer get(ActorSystem system) {
        Option<Serializer> found =
                SerializationExtension.get(system).serializerByIdentity().get(SealedMessageFormat.SERIALIZER_ID);
        if (found.isDefined() && found.get() instanceof SealingSerializer sealing) {
            return sealing;
        }
        throw new IllegalStateException("no sealing serializer with id " + SealedMessageFormat.SERIALIZER_ID
                + " is registered in pekko.actor.serializers");
    }

    @Override
    public int identifier() {
        return SealedMessageFormat.SERIALIZER_ID;
    }

    @Override
    public String manifest(Object o) {
        return SealedMessageFormat.MANIFEST;
    }

    /**
     * The delegate's bytes of {@code o}, sealed under the active key.
     *
     * @throws IllegalStateException if encryption is off: then nothing should be bound to this
     *     serializer
     */
    @Override
    public byte[] toBinary(Object o) {
        Resolved r = resolved();
        if (!r.cipher().enabled()) {
            throw new IllegalStateException(o.getClass().getName() + " is bound to the sealing serializer, but"
                    + " encryption is off (" + Encryption.ENABLED + ")");
        }
        byte[] payload = r.delegate().toBinary(o);
        String manifest = Serializers.manifestFor(r.delegate(), o);
        return r.cipher()
                .seal(
                        Domain.MESSAGE,
                        SealedMessageFormat.NO_RECORD,
                        SealedMessageFormat.plaintext(r.delegate().identifier(), manifest, payload));
    }

    /**
     * Opens a sealed message and has its delegate read it.
     *
     * @throws EncryptionException if the key id is not in the keyring, encryption is off, or the
     *     bytes fail authentication
     */
    @Override
    public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
        checkManifest(manifest);
        Resolved r = resolved();
        SealedMessageFormat.Plain plain =
                SealedMessageFormat.parse(r.cipher().open(Domain.MESSAGE, SealedMessageFormat.NO_RECORD, bytes));
        return r.serialization()
                .deserialize(plain.payload(), plain.delegateId(), plain.manifest())
                .get();
    }

    /** A message as a journal or snapshot row stores it: serializer id, manifest and bytes. */
    public record Stored(int serializerId, String manifest, byte[] bytes) {
        public Stored {
            if (manifest == null) {
                manifest = "";
            }
        }
    }

    /**
     * What {@code stored} should become so that it is sealed under the active key, or null if it
     * needs no rewrite: encryption is off, it is sealed under the active key already, or it is in
     * clear and of a type this serializer does not seal (a message bound to another serializer, or
     * one that no longer reads). A message in clear is sealed with its bytes as they are, so the
     * delegate reads exactly what it wrote.
     *
     * @throws EncryptionException if it is sealed under a key id the keyring does not hold, or
     *     fails authentication
     */
    public Stored reseal(Stored stored) {
        Resolved r = resolved();
        ValueCipher cipher = r.cipher();
        if (!cipher.enabled()) {
            return null;
        }
        byte[] plain;
        if (stored.serializerId() == SealedMessageFormat.SERIALIZER_ID) {
            if (cipher.isCurrent(stored.bytes(), 0)) {
                return null;
            }
            try {
                checkManifest(stored.manifest());
            } catch (NotSerializableException e) {
                throw new EncryptionException(e.getMessage());
            }
            plain = cipher.open(Domain.MESSAGE, SealedMessageFormat.NO_RECORD, stored.bytes());
        } else {
            if (!sealsType(r, stored)) {
                return null;
            }
            plain = SealedMessageFormat.plaintext(stored.serializerId(), stored.manifest(), stored.bytes());
        }
        return new Stored(
                SealedMessageFormat.SERIALIZER_ID,
                SealedMessageFormat.MANIFEST,
                cipher.seal(Domain.MESSAGE, SealedMessageFormat.NO_RECORD, plain));
    }

    /** Whether a message in clear is of a type bound to this serializer (so written today, it would be sealed). */
    private boolean sealsType(Resolved r, Stored stored) {
        // A manifest names the type for the serializers that have one (Jackson: the class name);
        // without one, each message is read to learn its type.
        String key = stored.serializerId() + "\0" + stored.manifest();
        Boolean known = stored.manifest().isEmpty() ? null : sealedTypes.get(key);
        if (known != null) {
            return known;
        }
        var read = r.serialization().deserialize(stored.bytes(), stored.serializerId(), stored.manifest());
        if (read.isFailure()) {
            log.warn(
                    "A stored message (serializer {}, manifest '{}') does not read, so it stays as it is: {}",
                    stored.serializerId(),
                    stored.manifest(),
                    read.failed().get().toString());
            return false; // not remembered: the next message of its kind may read
        }
        boolean seals = r.serialization().findSerializerFor(read.get()) == this;
        if (!stored.manifest().isEmpty()) {
            sealedTypes.put(key, seals);
        }
        return seals;
    }

    private static void checkManifest(String manifest) throws NotSerializableException {
        if (!SealedMessageFormat.MANIFEST.equals(manifest)) {
            throw new NotSerializableException("a sealed message of layout version '" + manifest
                    + "': this node reads version " + SealedMessageFormat.MANIFEST);
        }
    }

    private Resolved resolved() {
        Resolved r = resolved;
        if (r == null) {
            Serialization serialization = SerializationExtension.get(system);
            r = new Resolved(serialization, Encryption.get(system).cipher(), delegate(serialization));
            resolved = r;
        }
        return r;
    }

    private Serializer delegate(Serialization serialization) {
        var config = system.settings().config();
        String name = config.getString(DELEGATE);
        String idKey = "pekko.actor.serialization-identifiers.\"" + name + "\"";
        if (!config.hasPath(idKey)) {
            throw new IllegalStateException(DELEGATE + " names \"" + name + "\", which has no identifier in"
                    + " pekko.actor.serialization-identifiers (name a serializer of pekko.actor.serializers)");
        }
        int id = config.getInt(idKey);
        Option<Serializer> found = serialization.serializerByIdentity().get(id);
        if (found.isEmpty() || id == SealedMessageFormat.SERIALIZER_ID) {
            throw new IllegalStateException(DELEGATE + " names \"" + name + "\" (identifier " + id
                    + "), which is not a registered serializer other than the sealing one");
        }
        return found.get();
    }
}
