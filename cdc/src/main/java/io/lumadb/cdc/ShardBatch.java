package io.lumadb.cdc;

import io.lumadb.shards.model.DocumentChange;
import io.lumadb.shards.shard.ShardEvents;
import java.util.ArrayList;
import java.util.List;
import org.apache.pekko.persistence.query.EventEnvelope;

/** One shard event as the change stream sees it: its sequence number and its changes. */
record ShardBatch(int shard, long seq, List<ChangeEvent> changes) {

    static ShardBatch of(String database, String collection, int shard, EventEnvelope envelope) {
        List<DocumentChange> changes = ShardEvents.changes(envelope.event());
        List<ChangeEvent> events = new ArrayList<>(changes.size());
        for (int i = 0; i < changes.size(); i++) {
            events.add(new ChangeEvent(
                    database,
                    collection,
                    shard,
                    envelope.sequenceNr(),
                    i,
                    changes.size(),
                    envelope.timestamp(),
                    changes.get(i)));
        }
        return new ShardBatch(shard, envelope.sequenceNr(), events);
    }
}
