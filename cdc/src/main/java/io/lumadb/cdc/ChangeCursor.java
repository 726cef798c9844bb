package io.lumadb.cdc;

import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * A change stream's subscription driven by its caller rather than run as a stream of its own:
 * for a transport that carries many subscriptions on one connection (the WebSocket), where a
 * materialized stream per subscription would cost many times the subscription itself.
 *
 * <p>It yields the same items, in the same order, with the same guarantees as {@link
 * ChangeStreams.Subscription#items()}: the caller asks for the next items only when it has sent
 * the last ones, so a slow connection leaves the events in the subscription's bounded buffer,
 * which overflows (an {@link StreamItem.Overflow} item) rather than slow a writer.
 */
public interface ChangeCursor {

    /**
     * The next items (an empty list is fine: ask again); null once the subscription has ended.
     * One call at a time: the next call only after this one's stage has completed. It may throw,
     * or complete exceptionally, as the stream would fail (a caller no longer allowed to read).
     */
    CompletionStage<List<StreamItem>> next();

    /** Ends the subscription: it leaves the live feeds and frees its buffer. Idempotent; any thread. */
    void close();
}
