package io.lumadb.cdc;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;
import org.apache.pekko.persistence.testkit.query.javadsl.PersistenceTestKitReadJournal;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Pekko's in-memory test journal and its read journal, with the change feeds on them: what tests
 * of a subscriber's walk along shard journals run on. One per test class, registered as a static
 * extension ({@code @RegisterExtension static final TestJournal journal = new TestJournal();}): its
 * actor system stops after the class's last test.
 */
final class TestJournal implements AfterAllCallback {

    private final ActorTestKit kit;
    private final PersistenceTestKit journal;
    private final ChangeFeeds feeds;

    TestJournal() {
        kit = ActorTestKit.create(
                PersistenceTestKitPlugin.getInstance().config().withFallback(ConfigFactory.load()));
        journal = PersistenceTestKit.create(kit.system());
        feeds = new ChangeFeeds(kit.system(), PersistenceTestKitReadJournal.Identifier(), 16);
    }

    ActorSystem<?> system() {
        return kit.system();
    }

    ChangeFeeds feeds() {
        return feeds;
    }

    /** Appends {@code events} to a journal as if its entity had persisted them. */
    void persist(String persistenceId, List<Object> events) {
        journal.persistForRecovery(persistenceId, events);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        kit.shutdownTestKit();
    }
}
