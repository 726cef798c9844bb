package io.lumadb.tiering;

import io.lumadb.shards.CborSerializable;
import io.lumadb.tiering.fragment.FragmentId;
import io.lumadb.tiering.fragment.FragmentStore;
import java.util.List;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Serves this node's fragment stores to the other nodes of a cluster: one per node, registered
 * with the receptionist under {@link #KEY}. Each request runs on the tier's threads (file I/O),
 * never on the actor's; a failure is answered as {@link Failed} with its message.
 */
final class FragmentHost {

    static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "lumadb-fragment-hosts");

    /** The actor's name under /user: listed among Artery's large-message destinations. */
    static final String NAME = "lumadb-fragments";

    sealed interface Command extends CborSerializable {}

    /** Which node this is and how many stores it has. */
    record Describe(ActorRef<Reply> replyTo) implements Command {}

    record Put(int store, String segment, int index, byte[] bytes, ActorRef<Reply> replyTo) implements Command {}

    record Get(int store, String segment, int index, ActorRef<Reply> replyTo) implements Command {}

    record Read(int store, String segment, int index, long offset, int length, ActorRef<Reply> replyTo)
            implements Command {}

    record Delete(int store, String segment, int index, ActorRef<Reply> replyTo) implements Command {}

    /** The fragments of this node's stores written more than {@code olderThanMillis} ago. */
    record ListOld(long olderThanMillis, ActorRef<Reply> replyTo) implements Command {}

    sealed interface Reply extends CborSerializable {}

    record Described(String nodeId, int stores) implements Reply {}

    /** The bytes asked for (null: the fragment is not there), or done for a put or delete. */
    record Bytes(byte[] bytes) implements Reply {}

    record Failed(String message) implements Reply {}

    /** Fragments by store name: {@code <store name> <segment id> <index>} each. */
    record Fragments(List<String> fragments) implements Reply {}

    static Behavior<Command> create(String nodeId, List<FragmentStore> stores, Executor executor) {
        return Behaviors.setup(ctx -> {
            ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
            return Behaviors.receive(Command.class)
                    .onMessage(Describe.class, d -> reply(d.replyTo(), new Described(nodeId, stores.size())))
                    .onMessage(Command.class, cmd -> serve(cmd, stores, executor))
                    .build();
        });
    }

    private static Behavior<Command> reply(ActorRef<Reply> to, Reply reply) {
        to.tell(reply);
        return Behaviors.same();
    }

    private static Behavior<Command> serve(Command cmd, List<FragmentStore> stores, Executor executor) {
        executor.execute(() -> {
            ActorRef<Reply> to = replyTo(cmd);
            try {
                if (cmd instanceof ListOld old) {
                    to.tell(new Fragments(listOld(stores, old.olderThanMillis())));
                    return;
                }
                to.tell(new Bytes(run(cmd, stores)));
            } catch (RuntimeException e) {
                to.tell(new Failed(String.valueOf(e.getMessage())));
            }
        });
        return Behaviors.same();
    }

    private static byte[] run(Command cmd, List<FragmentStore> stores) {
        return switch (cmd) {
            case Put p -> {
                store(stores, p.store()).put(new FragmentId(p.segment(), p.index()), p.bytes());
                yield new byte[0];
            }
            case Get g -> store(stores, g.store()).get(new FragmentId(g.segment(), g.index()));
            case Read r ->
                store(stores, r.store()).read(new FragmentId(r.segment(), r.index()), r.offset(), r.length());
            case Delete d -> {
                store(stores, d.store()).delete(new FragmentId(d.segment(), d.index()));
                yield new byte[0];
            }
            case Describe d -> throw new IllegalStateException("answered by the actor");
            case ListOld l -> throw new IllegalStateException("answered by serve");
        };
    }

    /** Fragments older than {@code olderThanMillis}, as {@code <store name> <segment> <index>}. */
    static List<String> listOld(List<FragmentStore> stores, long olderThanMillis) {
        long before = System.currentTimeMillis() - olderThanMillis;
        List<String> out = new java.util.ArrayList<>();
        for (FragmentStore store : stores) {
            for (FragmentId id : store.list()) {
                if (store instanceof io.lumadb.tiering.fragment.LocalFragmentStore local) {
                    try {
                        if (java.nio.file.Files.getLastModifiedTime(local.pathOf(id))
                                        .toMillis()
                                > before) {
                            continue;
                        }
                    } catch (java.io.IOException e) {
                        continue; // gone meanwhile
                    }
                }
                out.add(store.name() + " " + id.segmentId() + " " + id.index());
            }
        }
        return out;
    }

    private static FragmentStore store(List<FragmentStore> stores, int n) {
        if (n < 0 || n >= stores.size()) {
            throw new IllegalArgumentException("this node has no fragment store " + n);
        }
        return stores.get(n);
    }

    private static ActorRef<Reply> replyTo(Command cmd) {
        return switch (cmd) {
            case Describe d -> d.replyTo();
            case Put p -> p.replyTo();
            case Get g -> g.replyTo();
            case Read r -> r.replyTo();
            case Delete d -> d.replyTo();
            case ListOld l -> l.replyTo();
        };
    }
}
