package io.lumadb.tiering;

import io.lumadb.tiering.fragment.FragmentId;
import io.lumadb.tiering.fragment.FragmentStore;
import io.lumadb.tiering.fragment.FragmentStoreException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * Every fragment store of the cluster by name, {@code <node id>/<n>}: this node's own directories,
 * and those of the other nodes through their {@link FragmentHost}. Node ids are kept in each
 * node's data directory, so a name stays valid across restarts and address changes.
 */
final class FragmentStores {

    /** A node that hosts fragment stores. */
    record Host(String nodeId, int stores, ActorRef<FragmentHost.Command> ref) {}

    private final ActorSystem<?> system;
    private final String selfId;
    private final List<FragmentStore> local;
    private final Duration timeout;
    private final Map<String, Host> hosts = new ConcurrentHashMap<>();

    FragmentStores(ActorSystem<?> system, String selfId, List<FragmentStore> local, Duration timeout) {
        this.system = system;
        this.selfId = selfId;
        this.local = List.copyOf(local);
        this.timeout = timeout;
        hosts.put(selfId, new Host(selfId, local.size(), null));
    }

    String selfId() {
        return selfId;
    }

    List<FragmentStore> local() {
        return local;
    }

    static String name(String nodeId, int store) {
        return nodeId + "/" + store;
    }

    /** Learns the hosts the receptionist lists (this node's own included). */
    void hostsListed(java.util.Set<ActorRef<FragmentHost.Command>> refs) {
        for (ActorRef<FragmentHost.Command> ref : refs) {
            if (hosts.values().stream().anyMatch(h -> ref.equals(h.ref()))) {
                continue;
            }
            AskPattern.<FragmentHost.Command, FragmentHost.Reply>ask(
                            ref, FragmentHost.Describe::new, timeout, system.scheduler())
                    .thenAccept(reply -> {
                        if (reply instanceof FragmentHost.Described d
                                && !d.nodeId().equals(selfId)) {
                            hosts.put(d.nodeId(), new Host(d.nodeId(), d.stores(), ref));
                        }
                    });
        }
        hosts.values().removeIf(h -> h.ref() != null && !refs.contains(h.ref()));
    }

    /**
     * The hosts known now that are Up and reachable members (a crashed node stays listed until it
     * is removed from the cluster), this one first, the others by id.
     */
    List<Host> hosts() {
        List<Host> out = new ArrayList<>();
        var state = Cluster.get(system).state();
        java.util.Set<org.apache.pekko.actor.Address> unreachable = new java.util.HashSet<>();
        state.getUnreachable().forEach(m -> unreachable.add(m.address()));
        java.util.Set<org.apache.pekko.actor.Address> up = new java.util.HashSet<>();
        state.getMembers().forEach(m -> {
            if (m.status() == MemberStatus.up() && !unreachable.contains(m.address())) {
                up.add(m.address());
            }
        });
        for (Host h : hosts.values()) {
            if (h.ref() == null || up.contains(h.ref().path().address())) {
                out.add(h);
            }
        }
        out.sort(Comparator.comparing((Host h) -> !h.nodeId().equals(selfId)).thenComparing(Host::nodeId));
        return out;
    }

    /**
     * Where the 9 fragments of a new segment go: on as many distinct nodes as there are (fragment
     * {@code i} on node {@code (i + rotation) mod n}), each node's fragments on distinct stores.
     */
    List<String> placement(int rotation) {
        List<Host> all = hosts();
        all.sort(Comparator.comparing(Host::nodeId));
        List<String> names = new ArrayList<>(9);
        int[] used = new int[all.size()];
        for (int i = 0; i < 9; i++) {
            int h = Math.floorMod(i + rotation, all.size());
            Host host = all.get(h);
            names.add(name(host.nodeId(), used[h]++ % host.stores()));
        }
        return names;
    }

    /** The store named {@code name}. */
    FragmentStore store(String name) {
        int slash = name.lastIndexOf('/');
        if (slash < 0) {
            throw new FragmentStoreException(name, null, "not a fragment store name", null);
        }
        String node = name.substring(0, slash);
        int n = Integer.parseInt(name.substring(slash + 1));
        if (node.equals(selfId)) {
            if (n >= local.size()) {
                throw new FragmentStoreException(
                        name, null, "this node has only " + local.size() + " fragment stores", null);
            }
            return local.get(n);
        }
        return new Remote(name, node, n);
    }

    /**
     * The fragments older than {@code olderThanMillis} on every reachable node, as {@code <store
     * name> <segment> <index>}; a node that does not answer is left out.
     */
    List<String> listOld(long olderThanMillis) {
        List<String> out = new ArrayList<>(FragmentHost.listOld(local, olderThanMillis));
        for (Host host : hosts()) {
            if (host.ref() == null) {
                continue;
            }
            try {
                FragmentHost.Reply reply = AskPattern.<FragmentHost.Command, FragmentHost.Reply>ask(
                                host.ref(),
                                r -> new FragmentHost.ListOld(olderThanMillis, r),
                                timeout,
                                system.scheduler())
                        .toCompletableFuture()
                        .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
                if (reply instanceof FragmentHost.Fragments f) {
                    out.addAll(f.fragments());
                }
            } catch (ExecutionException | TimeoutException e) {
                // Listed at the next scrub.
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return out;
            }
        }
        return out;
    }

    Function<String, FragmentStore> resolver() {
        return this::store;
    }

    /** A store of another node, reached through its host; unreachable: every call fails. */
    private final class Remote implements FragmentStore {
        private final String name;
        private final String node;
        private final int n;

        Remote(String name, String node, int n) {
            this.name = name;
            this.node = node;
            this.n = n;
        }

        @Override
        public String name() {
            return name;
        }

        private byte[] ask(FragmentId id, Function<ActorRef<FragmentHost.Reply>, FragmentHost.Command> message) {
            Host host = hosts.get(node);
            if (host == null || host.ref() == null) {
                throw new FragmentStoreException(name, id, "node " + node + " is not reachable", null);
            }
            try {
                FragmentHost.Reply reply = AskPattern.<FragmentHost.Command, FragmentHost.Reply>ask(
                                host.ref(), message::apply, timeout, system.scheduler())
                        .toCompletableFuture()
                        .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
                return switch (reply) {
                    case FragmentHost.Bytes b -> b.bytes();
                    case FragmentHost.Failed f -> throw new FragmentStoreException(name, id, f.message(), null);
                    default -> throw new FragmentStoreException(name, id, "unexpected answer " + reply, null);
                };
            } catch (ExecutionException | TimeoutException e) {
                throw new FragmentStoreException(name, id, "node " + node + " did not answer: " + e, null);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new FragmentStoreException(name, id, "interrupted", null);
            }
        }

        @Override
        public void put(FragmentId id, byte[] bytes) {
            ask(id, r -> new FragmentHost.Put(n, id.segmentId(), id.index(), bytes, r));
        }

        @Override
        public byte[] get(FragmentId id) {
            return ask(id, r -> new FragmentHost.Get(n, id.segmentId(), id.index(), r));
        }

        @Override
        public byte[] read(FragmentId id, long offset, int length) {
            return ask(id, r -> new FragmentHost.Read(n, id.segmentId(), id.index(), offset, length, r));
        }

        @Override
        public boolean delete(FragmentId id) {
            ask(id, r -> new FragmentHost.Delete(n, id.segmentId(), id.index(), r));
            return true;
        }

        @Override
        public List<FragmentId> list() {
            throw new UnsupportedOperationException("the fragments of " + name + " are listed on node " + node);
        }

        @Override
        public long bytes() {
            throw new UnsupportedOperationException("the bytes of " + name + " are counted on node " + node);
        }
    }
}
