package io.lumadb.shards;

import java.time.Instant;
import java.util.Optional;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;

/**
 * Whether this node's storage can make writes durable now, as the data layer and the API see it:
 * the node sets it from its storage's health (a full disk, an I/O error) and clears it when the
 * storage takes writes again. While it is set, shards refuse writes at once, before they reach
 * the journal (nothing of them is written), and {@code /ready} answers 503. One per actor system.
 */
public final class StorageCondition implements Extension {

    /** Why writes cannot be made durable: {@code kind} is a stable slug ({@code no-space}, {@code io-error}). */
    public record Unwritable(String kind, String reason, Instant since) {}

    /** The Pekko extension id: {@code StorageCondition.get(system)}. */
    public static final class Id extends AbstractExtensionId<StorageCondition> {
        public static final Id INSTANCE = new Id();

        private Id() {}

        @Override
        public StorageCondition createExtension(ExtendedActorSystem system) {
            return new StorageCondition();
        }
    }

    /** The condition of {@code system}'s storage. */
    public static StorageCondition get(ClassicActorSystemProvider system) {
        return Id.INSTANCE.get(system.classicSystem());
    }

    private volatile Unwritable current;

    private StorageCondition() {}

    /** The storage cannot make writes durable: {@code unwritable}, or empty when it can again. */
    public void set(Optional<Unwritable> unwritable) {
        current = unwritable.orElse(null);
    }

    /** Why writes cannot be made durable now, or empty while they can. */
    public Optional<Unwritable> current() {
        return Optional.ofNullable(current);
    }
}
