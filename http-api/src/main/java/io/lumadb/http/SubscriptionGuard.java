package io.lumadb.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.lumadb.security.AuthenticationException;
import io.lumadb.security.Permission.Action;
import io.lumadb.security.Principal;
import io.lumadb.security.Security;
import io.lumadb.shards.query.RowAccess;
import java.time.Duration;
import java.util.function.Supplier;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.Cancellable;
import org.apache.pekko.actor.ClassicActorSystemProvider;
import org.apache.pekko.stream.KillSwitches;
import org.apache.pekko.stream.javadsl.Keep;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Keeps a subscription (a change stream or a live query, over SSE or WebSocket) within what its
 * caller may see for its whole life:
 *
 * <ul>
 *   <li>every change is judged by the caller's access of the moment ({@link #access}): a rule or
 *       role change applies from the next change on;
 *   <li>when the security catalog changes and the caller is gone (user dropped, key revoked) the
 *       stream fails at once with {@link AuthenticationException}, and when its credential expires
 *       it fails at that instant; the transports turn that into an {@code unauthorized} message
 *       as the stream's last;
 *   <li>a live query, whose result was computed under the old rules, ends with {@link
 *       AccessChanged} when the caller's access to its collection changes: the client runs it
 *       again and gets a result under the new rules.
 * </ul>
 */
final class SubscriptionGuard {

    /** The caller's access to a live query's collection changed; the query must be run again. */
    static final class AccessChanged extends RuntimeException {
        AccessChanged() {
            super("the caller's access to the collection changed; run the live query again", null, false, false);
        }
    }

    private final ClassicActorSystemProvider system;
    private final Security security;
    private final Principal principal;
    private final String db;
    private final String collection;

    SubscriptionGuard(ApiContext api, Principal principal, String db, String collection) {
        this.system = api.system();
        this.security = api.security();
        this.principal = principal;
        this.db = db;
        this.collection = collection;
    }

    /** What the caller sees of the collection now; throws {@link AuthenticationException} once it is gone. */
    RowAccess now() {
        return security.access(security.current(principal), Action.SUBSCRIBE, false, db, collection);
    }

    /**
     * Refuses a subscription whose {@code filter} or {@code sort} (either may be null) names a field
     * hidden from the caller, as {@code _query} does: which documents match, and in which order,
     * would tell the field's values (a live query judges its filter on whole documents).
     */
    void refuseHidden(JsonNode filter, JsonNode sort) {
        HiddenFields.refuseInSubscription(filter, sort, now());
    }

    /** {@link #now()}, asked anew for every change. */
    Supplier<RowAccess> access() {
        return this::now;
    }

    /**
     * {@code items} failing at once when the caller is gone or its credential expires, and with
     * {@code endOnAccessChange} (live queries) when its access to the collection changes.
     */
    <T> Source<T, NotUsed> guard(Source<T, NotUsed> items, boolean endOnAccessChange) {
        if (!watched()) {
            return items;
        }
        RowAccess initial = now();
        return items.viaMat(KillSwitches.single(), Keep.right()).watchTermination((killSwitch, done) -> {
            Runnable unwatch = watching(killSwitch::abort, endOnAccessChange ? initial : null);
            done.whenComplete((d, failure) -> unwatch.run());
            return NotUsed.getInstance();
        });
    }

    /** Whether the caller can lose its access: with security off, or an unrestricted caller, never. */
    private boolean watched() {
        return security.enabled() && principal.kind() != Principal.Kind.UNRESTRICTED;
    }

    /**
     * Watches the caller for a subscription that is not a stream of its own: {@code stop} is
     * called (at most once, from any thread) with the {@link AuthenticationException} when the
     * caller is gone or its credential expires, and with {@code endOnAccessChange} with {@link
     * AccessChanged} when its access to the collection changes. Running the result stops watching.
     */
    Runnable watch(java.util.function.Consumer<Throwable> stop, boolean endOnAccessChange) {
        if (!watched()) {
            return () -> {};
        }
        return watching(stop, endOnAccessChange ? now() : null);
    }

    /** {@link #watch}, ending on a change of access when {@code initial} is not null. */
    private Runnable watching(java.util.function.Consumer<Throwable> stop, RowAccess initial) {
        java.util.concurrent.atomic.AtomicBoolean stopped = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.function.Consumer<Throwable> once = failure -> {
            if (stopped.compareAndSet(false, true)) {
                stop.accept(failure);
            }
        };
        Runnable check = () -> check(once, initial);
        AutoCloseable listening = security.onChange(check);
        Cancellable expiry = null;
        if (principal.expiresAtMillis() != 0) {
            long delay = Math.max(0, principal.expiresAtMillis() - System.currentTimeMillis());
            expiry = system.classicSystem()
                    .scheduler()
                    .scheduleOnce(
                            Duration.ofMillis(delay + 1),
                            check,
                            system.classicSystem().dispatcher());
        }
        Cancellable timer = expiry;
        return () -> {
            try {
                listening.close();
            } catch (Exception ignored) {
                // removing a listener does not fail
            }
            if (timer != null) {
                timer.cancel();
            }
        };
    }

    /**
     * SSE frames ending with a last control frame when the guard stops the stream: {@code
     * unauthorized} (the caller is gone or its credential expired) or {@code access-changed} (a
     * live query must be run again), each with its problem.
     */
    static Source<org.apache.pekko.util.ByteString, NotUsed> withClosingFrame(
            Source<org.apache.pekko.util.ByteString, NotUsed> frames) {
        return frames.recover(new org.apache.pekko.japi.pf.PFBuilder<Throwable, org.apache.pekko.util.ByteString>()
                .match(
                        AuthenticationException.class,
                        e -> Sse.frame("unauthorized", null, StreamPayloads.error(Problems.classify(e), null)))
                .match(
                        AccessChanged.class,
                        e -> Sse.frame("access-changed", null, StreamPayloads.error(Problems.classify(e), null)))
                .build());
    }

    private void check(java.util.function.Consumer<Throwable> stop, RowAccess initial) {
        try {
            RowAccess current = now();
            if (initial != null && !current.equals(initial)) {
                stop.accept(new AccessChanged());
            }
        } catch (AuthenticationException gone) {
            stop.accept(gone);
        }
    }
}
