package io.lumadb.persistence.query;

import com.typesafe.config.Config;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.persistence.query.ReadJournalProvider;

/**
 * Provides the RocksDB read journal to Pekko Persistence Query under the plugin id {@code
 * lumadb.persistence.query}. Obtain the journal with {@code
 * PersistenceQuery.get(system).getReadJournalFor(RocksReadJournal.class,
 * RocksReadJournal.Identifier)} (javadsl) or its scaladsl counterpart; both read the same data.
 */
public final class RocksReadJournalProvider implements ReadJournalProvider {

    private final io.lumadb.persistence.query.javadsl.RocksReadJournal javadsl;
    private final io.lumadb.persistence.query.scaladsl.RocksReadJournal scaladsl;

    /** Called by Pekko Persistence Query with the plugin configuration. */
    public RocksReadJournalProvider(ExtendedActorSystem system, Config config) {
        this.javadsl = new io.lumadb.persistence.query.javadsl.RocksReadJournal(system, config);
        this.scaladsl = new io.lumadb.persistence.query.scaladsl.RocksReadJournal(javadsl);
    }

    /** Called by Pekko Persistence Query with the plugin configuration and its path. */
    public RocksReadJournalProvider(ExtendedActorSystem system, Config config, String configPath) {
        this(system, config);
    }

    @Override
    public io.lumadb.persistence.query.scaladsl.RocksReadJournal scaladslReadJournal() {
        return scaladsl;
    }

    @Override
    public io.lumadb.persistence.query.javadsl.RocksReadJournal javadslReadJournal() {
        return javadsl;
    }
}
