package io.lumadb.chaos.hosts;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The test hosts of a chaos run: one network namespace per node, each with its own address and
 * an {@code eth0} whose peer sits on a bridge in the root namespace. The bridge has the first
 * address of the subnet: the harness's clients and the journal's PostgreSQL are reached there,
 * and nothing is routed beyond the subnet, so no traffic leaves the machine.
 *
 * <p>Partitions are the kernel's packet filter inside the node namespaces: a table {@code
 * lumadb_chaos} whose input chain drops what arrives from the peers a node must not hear. Only
 * traffic between nodes is cut; the clients (from the bridge address) still reach every node, as
 * clients on the far side of a partition would.
 *
 * <p>Every name carries the harness's process id ({@code lcx<pid>...}), so {@link #sweepStale}
 * can remove what a harness that died without cleaning up left behind.
 */
public final class ChaosNet implements AutoCloseable {

    private static final String PREFIX = "lcx";
    private static final String TABLE = "lumadb_chaos";
    private static final Pattern OWNED = Pattern.compile(PREFIX + "(\\d+)[-a-z].*");

    private final String id;
    private final int octet;
    private final int nodes;
    private boolean closed;

    private ChaosNet(String id, int octet, int nodes) {
        this.id = id;
        this.octet = octet;
        this.nodes = nodes;
    }

    /** Makes the bridge and {@code nodes} namespaces, each reachable at {@link #ip(int)}. */
    public static ChaosNet create(int nodes) {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("nodes must be 1..9, not " + nodes);
        }
        if (!Sh.root()) {
            throw new IllegalStateException("network namespaces need root (or CAP_NET_ADMIN); run as root");
        }
        sweepStale();
        String id = Long.toString(ProcessHandle.current().pid());
        ChaosNet net = new ChaosNet(id, freeOctet(), nodes);
        try {
            net.build();
        } catch (RuntimeException e) {
            net.close();
            throw e;
        }
        return net;
    }

    private void build() {
        Sh.run("ip", "link", "add", bridge(), "type", "bridge");
        Sh.run("ip", "addr", "add", hostIp() + "/24", "dev", bridge());
        Sh.run("ip", "link", "set", bridge(), "up");
        for (int i = 0; i < nodes; i++) {
            String ns = namespace(i);
            Sh.run("ip", "netns", "add", ns);
            Sh.run("ip", "link", "add", veth(i), "type", "veth", "peer", "name", "eth0", "netns", ns);
            Sh.run("ip", "link", "set", veth(i), "master", bridge(), "up");
            Sh.run("ip", "-n", ns, "addr", "add", ip(i) + "/24", "dev", "eth0");
            Sh.run("ip", "-n", ns, "link", "set", "eth0", "up");
            Sh.run("ip", "-n", ns, "link", "set", "lo", "up");
        }
    }

    /** How many node namespaces there are. */
    public int size() {
        return nodes;
    }

    /** The namespace of node {@code i} (0-based). */
    public String namespace(int i) {
        return PREFIX + id + "-n" + (i + 1);
    }

    /** Node {@code i}'s address. */
    public String ip(int i) {
        return "10.214." + octet + "." + (11 + i);
    }

    /** The bridge's address in the root namespace: where clients come from and PostgreSQL listens. */
    public String hostIp() {
        return "10.214." + octet + ".1";
    }

    /** The command prefix that runs a program inside node {@code i}'s namespace. */
    public List<String> exec(int i) {
        return List.of("ip", "netns", "exec", namespace(i));
    }

    /**
     * Cuts the network between nodes: node {@code i} drops whatever arrives from the nodes in
     * {@code deaf.get(i)} (so a symmetric partition lists each side in the other's entry, and
     * one-way loss lists only one direction). Replaces any earlier cut.
     */
    public void cut(List<? extends Collection<Integer>> deaf) {
        heal();
        for (int i = 0; i < nodes && i < deaf.size(); i++) {
            Collection<Integer> from = deaf.get(i);
            if (from.isEmpty()) {
                continue;
            }
            StringBuilder script = new StringBuilder();
            script.append("add table inet ").append(TABLE).append("; ");
            script.append("add chain inet ")
                    .append(TABLE)
                    .append(" input { type filter hook input priority -10; policy accept; }; ");
            for (int peer : from) {
                script.append("add rule inet ")
                        .append(TABLE)
                        .append(" input ip saddr ")
                        .append(ip(peer))
                        .append(" drop; ");
            }
            List<String> command = new ArrayList<>(exec(i));
            command.addAll(List.of("nft", script.toString()));
            Sh.run(command);
        }
    }

    /** Removes every cut. */
    public void heal() {
        for (int i = 0; i < nodes; i++) {
            List<String> command = new ArrayList<>(exec(i));
            command.addAll(List.of("nft", "delete table inet " + TABLE));
            Sh.attempt(command); // absent when this node had no cut
        }
    }

    private String bridge() {
        return PREFIX + id + "b";
    }

    private String veth(int i) {
        return PREFIX + id + "v" + (i + 1);
    }

    /** A third octet of 10.214.x.0/24 that no interface of the machine uses. */
    private static int freeOctet() {
        String addresses = Sh.attempt("ip", "-4", "-o", "addr", "show").output();
        for (int o = 1; o < 255; o++) {
            if (!addresses.contains("10.214." + o + ".")) {
                return o;
            }
        }
        throw new IllegalStateException("every 10.214.x.0/24 subnet is in use");
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = 0; i < nodes; i++) {
            Sh.attempt("ip", "netns", "del", namespace(i)); // takes its end of the veth pair along
            Sh.attempt("ip", "link", "del", veth(i));
        }
        Sh.attempt("ip", "link", "del", bridge());
    }

    /**
     * Removes the namespaces and links of harnesses that are gone (their process id is in the
     * name), and returns what it removed.
     */
    public static List<String> sweepStale() {
        List<String> removed = new ArrayList<>();
        for (String line : Sh.attempt("ip", "netns", "list").output().split("\n")) {
            String ns = line.strip().split("\\s+")[0];
            if (stale(ns)) {
                Sh.attempt("ip", "netns", "del", ns);
                removed.add(ns);
            }
        }
        for (String line : Sh.attempt("ip", "-o", "link", "show").output().split("\n")) {
            String[] parts = line.split(":\\s+");
            if (parts.length < 2) {
                continue;
            }
            String name = parts[1].split("@")[0].strip();
            if (stale(name)) {
                Sh.attempt("ip", "link", "del", name);
                removed.add(name);
            }
        }
        return removed;
    }

    private static boolean stale(String name) {
        Matcher m = OWNED.matcher(name.toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return false;
        }
        long pid = Long.parseLong(m.group(1));
        return pid != ProcessHandle.current().pid() && !Files.exists(Path.of("/proc", Long.toString(pid)));
    }

    /** For messages. */
    @Override
    public String toString() {
        return "namespaces " + namespace(0) + ".." + namespace(nodes - 1) + " on " + hostIp() + "/24";
    }
}
