package io.lumadb.persistence.crypto;

import com.typesafe.config.Config;
import java.nio.file.Path;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;

/**
 * The node's encryption at rest, from {@code lumadb.encryption}: one {@link ValueCipher} shared by
 * the journal, the snapshot store and the shards' state stores. Off by default, because the keys
 * must be managed by the operator (kept outside the data directory, backed up, rotated): a
 * database that generated and kept its own key next to the data would protect nothing.
 */
public final class Encryption implements Extension {

    /** The config key that turns encryption on. */
    public static final String ENABLED = "lumadb.encryption.enabled";

    /** The config key of the key file. */
    public static final String KEY_FILE = "lumadb.encryption.key-file";

    /** The config key of the active key id (0: the highest id in the file). */
    public static final String ACTIVE_KEY_ID = "lumadb.encryption.active-key-id";

    /** The Pekko extension id: {@code Encryption.get(system)}. */
    public static final class Id extends AbstractExtensionId<Encryption> implements ExtensionIdProvider {
        public static final Id INSTANCE = new Id();

        private Id() {}

        @Override
        public Encryption createExtension(ExtendedActorSystem system) {
            return new Encryption(cipher(system.settings().config()));
        }

        @Override
        public Id lookup() {
            return INSTANCE;
        }
    }

    private final ValueCipher cipher;

    private Encryption(ValueCipher cipher) {
        this.cipher = cipher;
    }

    public static Encryption get(ActorSystem system) {
        return Id.INSTANCE.get(system);
    }

    /** The node's cipher. */
    public ValueCipher cipher() {
        return cipher;
    }

    /**
     * The cipher {@code config} describes (the root config).
     *
     * @throws EncryptionException naming the config key when encryption is on and the key file or
     *     the active key id is missing or wrong
     */
    public static ValueCipher cipher(Config config) {
        if (!config.getBoolean(ENABLED)) {
            return ValueCipher.disabled();
        }
        String file = config.getString(KEY_FILE).strip();
        if (file.isEmpty()) {
            throw new EncryptionException(
                    ENABLED + " is on but " + KEY_FILE + " is empty: name a key file (lines 'id:base64key')");
        }
        int active;
        try {
            active = config.getInt(ACTIVE_KEY_ID);
        } catch (com.typesafe.config.ConfigException e) {
            throw new EncryptionException(ACTIVE_KEY_ID + " must be a key id (a number, 0 for the highest id in the"
                    + " key file): " + e.getMessage());
        }
        if (active < 0 || active > Keyring.MAX_KEY_ID) {
            throw new EncryptionException(ACTIVE_KEY_ID + " must be 0 (the highest id in the key file) or 1.."
                    + Keyring.MAX_KEY_ID + ", was " + active);
        }
        return ValueCipher.of(Keyring.load(Path.of(file).toAbsolutePath(), active, KEY_FILE, ACTIVE_KEY_ID));
    }
}
