package io.lumadb.chaos.hosts;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A slow network for a node in its own network namespace: the packets it sends through one device
 * are delayed by {@code delay ± jitter} (uniform) and {@code lossPercent} % of them are dropped,
 * until the {@link Handle} is closed.
 *
 * <p>Only egress is slowed. Every node of a cluster gets the fault on its own namespace, so a
 * packet between two slowed nodes is delayed once on the way out of each: a round trip between
 * them costs {@code 2 × delay} extra, as with netem on each host.
 *
 * <p>Where the kernel has {@code sch_netem} this is {@code tc qdisc add dev <device> root netem
 * ...} in the namespace. Where it has not (it is an optional module, and minimal VM kernels leave
 * it out), the fallback is a delay line: a small C program ({@code delayline.c}, shipped in this
 * jar and compiled by {@link #prepare}) that holds the packets an iptables rule sends to NFQUEUE
 * queue {@value #QUEUE_NUMBER} and lets them go later. Its rules live in a chain of their own,
 * {@value #CHAIN}, jumped to from the top of {@code OUTPUT} for IPv4 and IPv6, so they are removed
 * exactly and never touch the partitions' nftables table. The queue is bound with {@code
 * --queue-bypass} and set to fail open, so traffic flows normally whenever the delay line is
 * absent, has stopped, or is overwhelmed.
 *
 * <p>Guarantees: {@link #apply} returns only once the fault is in force, and leaves nothing behind
 * when it fails; {@link Handle#close()} is idempotent and never throws. With the delay line it
 * removes the rules before it stops the process, which then releases every packet it holds at
 * once, so healing loses no traffic (deleting a netem qdisc drops what it holds). A namespace has
 * at most one slow network at a time. Instances are thread-safe. With the delay line, the same
 * seed drops and delays the same packets of the same sequence; netem takes no seed.
 */
public final class SlowNetwork {

    /** The iptables chain, in each slowed namespace, that holds the delay line's rule. */
    public static final String CHAIN = "lumadb-chaos-slow";

    /** The NFQUEUE queue the delay line binds; queues are per network namespace, so one number serves all. */
    public static final int QUEUE_NUMBER = 213;

    private static final System.Logger LOG = System.getLogger(SlowNetwork.class.getName());
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration INSTALL_TIMEOUT = Duration.ofMinutes(10);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(5);
    private static final String READY_PREFIX = "delayline: queue ";
    private static final List<String> QUEUE_PACKAGES = List.of("libnetfilter-queue-dev", "libnetfilter-queue1");
    private static final Executor READERS =
            task -> Thread.ofVirtual().name("slow-network-output").start(task);
    private static final AtomicLong PROBES = new AtomicLong();

    private final boolean netem;
    private final Path delayLine;
    private final String iptables;
    private final String ip6tables;

    private SlowNetwork(boolean netem, Path delayLine, String iptables, String ip6tables) {
        this.netem = netem;
        this.delayLine = delayLine;
        this.iptables = iptables;
        this.ip6tables = ip6tables;
    }

    /**
     * Makes slow networks possible on this machine: finds out whether netem works and, where it
     * does not, installs what the delay line needs (libnetfilter-queue, iptables; with apt-get,
     * as root, only when missing) and compiles it into {@code workDir}.
     *
     * @throws IllegalStateException naming what is missing, when neither way can work here
     */
    public static SlowNetwork prepare(Path workDir) throws InterruptedException {
        requireRoot();
        requireCommand("ip", "iproute2");
        String probe = "lcx-probe-" + ProcessHandle.current().pid() + "-" + PROBES.incrementAndGet();
        check(List.of("ip", "netns", "add", probe));
        try {
            check(List.of("ip", "-n", probe, "link", "set", "lo", "up"));
            if (netemWorks(probe)) {
                LOG.log(System.Logger.Level.INFO, "slow network: the kernel has netem, using tc");
                return new SlowNetwork(true, null, null, null);
            }
            if (!onPath("iptables")) {
                install(List.of("iptables"));
            }
            String[] tables = workingIptables(probe);
            Path binary = compileDelayLine(workDir);
            bindOnce(probe, binary);
            LOG.log(
                    System.Logger.Level.INFO,
                    "slow network: no netem in this kernel, using the delay line with {0}",
                    tables[0]);
            return new SlowNetwork(false, binary, tables[0], tables[1]);
        } finally {
            Sh.attempt(List.of("ip", "netns", "del", probe), COMMAND_TIMEOUT);
        }
    }

    /** Whether faults are made with tc netem (true) or with the delay line (false). */
    public boolean usesNetem() {
        return netem;
    }

    /**
     * Slows the packets leaving {@code namespace} through {@code device}: each is dropped with
     * probability {@code lossPercent} % or sent {@code delay} plus a uniform amount in {@code
     * [-jitter, +jitter]} later (never earlier than now). In force when this returns.
     *
     * @param seed the delay line's random seed (netem has none)
     * @throws IllegalArgumentException for a negative duration or a loss outside 0..100
     * @throws IllegalStateException when the fault cannot be put in place; nothing is left behind
     */
    public Handle apply(String namespace, String device, Duration delay, Duration jitter, double lossPercent, long seed)
            throws InterruptedException {
        requireName("namespace", namespace);
        requireName("device", device);
        if (delay.isNegative()) {
            throw new IllegalArgumentException("delay must not be negative: " + delay);
        }
        if (jitter.isNegative()) {
            throw new IllegalArgumentException("jitter must not be negative: " + jitter);
        }
        if (!(lossPercent >= 0 && lossPercent <= 100)) {
            throw new IllegalArgumentException("lossPercent must be from 0 to 100: " + lossPercent);
        }
        String description = "delay " + millis(delay) + " ms \u00b1 " + millis(jitter) + " ms, loss "
                + percent(lossPercent) + " % on " + device
                + " in " + namespace + (netem ? " (netem)" : " (delay line)");
        Handle handle = new Handle(description);
        try {
            if (netem) {
                applyNetem(handle, namespace, device, delay, jitter, lossPercent);
            } else {
                applyDelayLine(handle, namespace, device, delay, jitter, lossPercent, seed);
            }
            return handle;
        } catch (RuntimeException | InterruptedException e) {
            handle.close();
            throw e;
        }
    }

    private static void applyNetem(
            Handle handle, String namespace, String device, Duration delay, Duration jitter, double lossPercent)
            throws InterruptedException {
        List<String> add = inNamespace(namespace, "tc", "qdisc", "add", "dev", device, "root", "netem");
        add.addAll(List.of("limit", "20000", "delay", micros(delay)));
        if (!jitter.isZero()) {
            add.add(micros(jitter));
        }
        if (lossPercent > 0) {
            add.addAll(List.of("loss", percent(lossPercent) + "%"));
        }
        check(add);
        handle.undo(inNamespace(namespace, "tc", "qdisc", "del", "dev", device, "root"));
    }

    private void applyDelayLine(
            Handle handle,
            String namespace,
            String device,
            Duration delay,
            Duration jitter,
            double lossPercent,
            long seed)
            throws InterruptedException {
        Sh.Result existing = Sh.attempt(inNamespace(namespace, iptables, "-w", "-S", CHAIN), COMMAND_TIMEOUT);
        if (existing.exit() == 0) {
            throw new IllegalStateException("namespace " + namespace + " is already slowed (chain " + CHAIN
                    + " exists); close that fault's handle first");
        }
        // The delay line is bound before any packet is sent to it, so the fault begins whole, at
        // the moment the OUTPUT rule goes in.
        handle.start(inNamespace(
                namespace,
                delayLine.toString(),
                "--queue=" + QUEUE_NUMBER,
                "--delay-ms=" + millis(delay),
                "--jitter-ms=" + millis(jitter),
                "--loss-percent=" + percent(lossPercent),
                "--seed=" + seed,
                "--exit-on-stdin-eof"));
        for (String tables : List.of(iptables, ip6tables)) {
            check(inNamespace(namespace, tables, "-w", "-N", CHAIN));
            handle.undo(inNamespace(namespace, tables, "-w", "-X", CHAIN));
            handle.undo(inNamespace(namespace, tables, "-w", "-F", CHAIN));
            check(queueRule(namespace, tables));
        }
        for (String tables : List.of(iptables, ip6tables)) {
            check(inNamespace(namespace, tables, "-w", "-I", "OUTPUT", "1", "-o", device, "-j", CHAIN));
            handle.undo(inNamespace(namespace, tables, "-w", "-D", "OUTPUT", "-o", device, "-j", CHAIN));
        }
    }

    /**
     * A slow network in force; {@link #close()} heals it. Closing removes the packet rules first,
     * so no packet is queued to a delay line that is going away, then stops the delay line, which
     * lets every packet it still holds go at once.
     */
    public static final class Handle implements AutoCloseable {

        private final String description;
        private final Deque<List<String>> undo = new ArrayDeque<>();
        private Process delayLine;
        private CompletableFuture<Void> delayLineOutput;
        private boolean closed;

        private Handle(String description) {
            this.description = description;
        }

        /** What the fault is, for reports: the delay, jitter and loss, and where. */
        public String description() {
            return description;
        }

        @Override
        public String toString() {
            return description;
        }

        private synchronized void undo(List<String> command) {
            undo.push(command);
        }

        private void start(List<String> command) throws InterruptedException {
            Process process;
            try {
                process = new ProcessBuilder(command).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new IllegalStateException("cannot start the delay line " + command + ": " + e.getMessage(), e);
            }
            // Its stdin stays open: if this JVM dies, the delay line sees end of file and goes too.
            CompletableFuture<Void> ready = new CompletableFuture<>();
            List<String> lines = new ArrayList<>();
            synchronized (this) {
                delayLine = process;
                delayLineOutput = CompletableFuture.runAsync(() -> follow(process, ready, lines), READERS);
            }
            try {
                ready.get(READY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                String output;
                synchronized (lines) {
                    output = String.join("\n", lines);
                }
                throw new IllegalStateException(
                        "the delay line did not bind its queue within " + READY_TIMEOUT.toSeconds() + " s ("
                                + String.join(" ", command) + "): " + (output.isEmpty() ? "no output" : output));
            }
        }

        private void follow(Process process, CompletableFuture<Void> ready, List<String> lines) {
            try (BufferedReader reader =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (!ready.isDone()) {
                        synchronized (lines) {
                            lines.add(line);
                        }
                        if (line.startsWith(READY_PREFIX)) {
                            ready.complete(null);
                        }
                    } else {
                        LOG.log(
                                line.contains("warning") ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
                                "{0}: {1}",
                                description,
                                line);
                    }
                }
            } catch (IOException e) {
                LOG.log(System.Logger.Level.DEBUG, "delay line output ended", e);
            } finally {
                ready.completeExceptionally(new IllegalStateException("the delay line exited"));
            }
        }

        /** Heals the fault; idempotent, never throws (what it could not undo is logged). */
        @Override
        public void close() {
            Process process;
            CompletableFuture<Void> output;
            List<List<String>> steps;
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                process = delayLine;
                output = delayLineOutput;
                steps = List.copyOf(undo);
                undo.clear();
            }
            // Cleanup must run to the end even in an interrupted thread; the interrupt is kept for the caller.
            boolean interrupted = Thread.interrupted();
            for (List<String> step : steps) {
                try {
                    Sh.Result result = Sh.attempt(step, COMMAND_TIMEOUT);
                    if (result.exit() != 0) {
                        LOG.log(
                                System.Logger.Level.WARNING,
                                "healing {0}: {1} failed: {2}",
                                description,
                                String.join(" ", step),
                                result.output());
                    }
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (RuntimeException e) {
                    LOG.log(System.Logger.Level.WARNING, "healing " + description + ": " + String.join(" ", step), e);
                }
            }
            if (process != null) {
                interrupted |= stop(process);
                if (output != null) {
                    try {
                        output.get(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                    } catch (InterruptedException e) {
                        interrupted = true;
                    } catch (ExecutionException | TimeoutException e) {
                        LOG.log(System.Logger.Level.DEBUG, "delay line output", e);
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }

        /** SIGTERM, so held packets are released, then SIGKILL; true when interrupted meanwhile. */
        private boolean stop(Process process) {
            boolean interrupted = false;
            process.destroy();
            try {
                if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.log(
                            System.Logger.Level.WARNING,
                            "the delay line for {0} ignored SIGTERM; killing it",
                            description);
                }
            } catch (InterruptedException e) {
                interrupted = true;
            }
            if (process.isAlive()) {
                process.destroyForcibly();
                try {
                    process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            return interrupted;
        }
    }

    private static boolean netemWorks(String probe) throws InterruptedException {
        if (!onPath("tc")) {
            return false;
        }
        Sh.Result result = Sh.attempt(
                inNamespace(probe, "tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "1ms"),
                COMMAND_TIMEOUT);
        return result.exit() == 0;
    }

    /**
     * The iptables and ip6tables commands that can send packets to NFQUEUE in a namespace: the
     * nftables-backed ones (through nft_compat) or the legacy ones, whichever this kernel takes.
     */
    private static String[] workingIptables(String probe) throws InterruptedException {
        List<String> failures = new ArrayList<>();
        for (String suffix : List.of("", "-nft", "-legacy")) {
            String[] tables = {"iptables" + suffix, "ip6tables" + suffix};
            if (!onPath(tables[0]) || !onPath(tables[1])) {
                continue;
            }
            boolean works = true;
            for (String command : tables) {
                Sh.Result made = Sh.attempt(inNamespace(probe, command, "-w", "-N", CHAIN), COMMAND_TIMEOUT);
                Sh.Result queued = made.exit() == 0 ? Sh.attempt(queueRule(probe, command), COMMAND_TIMEOUT) : made;
                if (queued.exit() != 0) {
                    failures.add(command + ": " + queued.output().strip());
                    works = false;
                }
                Sh.attempt(inNamespace(probe, command, "-w", "-F", CHAIN), COMMAND_TIMEOUT);
                Sh.attempt(inNamespace(probe, command, "-w", "-X", CHAIN), COMMAND_TIMEOUT);
            }
            if (works) {
                return tables;
            }
        }
        throw new IllegalStateException(
                "the kernel has no netem, and neither iptables nor ip6tables (nft or legacy) can"
                        + " send packets to NFQUEUE in a namespace (CONFIG_NETFILTER_XT_TARGET_NFQUEUE and"
                        + " CONFIG_NETFILTER_NETLINK_QUEUE are needed)"
                        + (failures.isEmpty()
                                ? "; no iptables command was found"
                                : ": " + String.join("; ", failures)));
    }

    /** Binds the queue once in the probe namespace, so that a kernel without NFQUEUE fails here, not mid-run. */
    private static void bindOnce(String probe, Path binary) throws InterruptedException {
        Handle trial = new Handle("a trial of the delay line");
        try {
            trial.start(inNamespace(
                    probe, binary.toString(), "--queue=" + QUEUE_NUMBER, "--delay-ms=1", "--exit-on-stdin-eof"));
        } catch (IllegalStateException e) {
            throw new IllegalStateException(
                    "the kernel has no netem, and the delay line cannot bind an NFQUEUE queue"
                            + " (CONFIG_NETFILTER_NETLINK_QUEUE is needed): " + e.getMessage(),
                    e);
        } finally {
            trial.close();
        }
    }

    private static Path compileDelayLine(Path workDir) throws InterruptedException {
        Path source = workDir.toAbsolutePath().resolve("delayline.c");
        Path binary = workDir.toAbsolutePath().resolve("delayline");
        try (InputStream in = SlowNetwork.class.getResourceAsStream("delayline.c")) {
            if (in == null) {
                throw new IllegalStateException(
                        "delayline.c is missing from the classpath (io/lumadb/chaos/hosts/delayline.c in the chaos"
                                + " jar)");
            }
            Files.createDirectories(workDir);
            Files.copy(in, source, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + source, e);
        }
        List<String> missing = new ArrayList<>();
        if (!onPath("gcc")) {
            missing.add("gcc");
        }
        if (!Files.exists(Path.of("/usr/include/libnetfilter_queue/libnetfilter_queue.h"))) {
            missing.addAll(QUEUE_PACKAGES);
        }
        if (!missing.isEmpty()) {
            install(missing);
        }
        List<String> compile = List.of(
                "gcc", "-O2", "-Wall", "-Wextra", "-o", binary.toString(), source.toString(), "-lnetfilter_queue");
        Sh.Result result = Sh.attempt(compile, COMMAND_TIMEOUT);
        if (result.exit() != 0 && missing.isEmpty()) {
            // The header was there but the library was not (or is broken): give apt-get one chance.
            install(QUEUE_PACKAGES);
            result = Sh.attempt(compile, COMMAND_TIMEOUT);
        }
        if (result.exit() != 0) {
            throw new IllegalStateException("cannot compile the delay line (it needs gcc and libnetfilter_queue;"
                    + " on Debian: apt-get install gcc libnetfilter-queue-dev libnetfilter-queue1): "
                    + result.output().strip());
        }
        return binary;
    }

    /** apt-get install, as root; apt-get update first only if the install fails without it. */
    private static void install(List<String> packages) throws InterruptedException {
        String what = String.join(" ", packages);
        if (!onPath("apt-get")) {
            throw new IllegalStateException("a slow network needs " + what + ", which is not installed, and there is"
                    + " no apt-get to install it with");
        }
        List<String> install =
                concat(List.of("apt-get", "install", "-y", "--no-install-recommends"), packages.toArray(String[]::new));
        LOG.log(System.Logger.Level.INFO, "slow network: installing {0}", what);
        Sh.Result result = Sh.attempt(install, INSTALL_TIMEOUT);
        if (result.exit() != 0) {
            Sh.attempt(List.of("apt-get", "update"), INSTALL_TIMEOUT);
            result = Sh.attempt(install, INSTALL_TIMEOUT);
        }
        if (result.exit() != 0) {
            throw new IllegalStateException("a slow network needs " + what + ", and apt-get could not install it: "
                    + result.output().strip());
        }
    }

    private static void requireRoot() {
        Object uid;
        try {
            uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (IOException | UnsupportedOperationException e) {
            throw new IllegalStateException(
                    "a slow network needs Linux (network namespaces, /proc): " + e.getMessage(), e);
        }
        if (!Integer.valueOf(0).equals(uid)) {
            throw new IllegalStateException(
                    "a slow network needs root (network namespaces, iptables, tc); running as uid " + uid);
        }
    }

    private static void requireCommand(String command, String packageName) {
        if (!onPath(command)) {
            throw new IllegalStateException("a slow network needs the command " + command + " (package " + packageName
                    + "), which is not on the PATH");
        }
    }

    private static void requireName(String what, String name) {
        if (name == null || name.isBlank() || name.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException(what + " must be a name without spaces: '" + name + "'");
        }
    }

    private static boolean onPath(String command) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, command))) {
                return true;
            }
        }
        return false;
    }

    private static String millis(Duration d) {
        return BigDecimal.valueOf(d.toNanos(), 6).stripTrailingZeros().toPlainString();
    }

    /** For tc, which takes microseconds as {@code <n>us}. */
    private static String micros(Duration d) {
        return TimeUnit.NANOSECONDS.toMicros(d.toNanos()) + "us";
    }

    /**
     * The rule in {@value #CHAIN} that hands packets to the delay line; with {@code --queue-bypass}
     * they pass untouched while no delay line is bound.
     */
    private static List<String> queueRule(String namespace, String tables) {
        List<String> rule = inNamespace(namespace, tables, "-w", "-A", CHAIN, "-j", "NFQUEUE");
        rule.addAll(List.of("--queue-num", String.valueOf(QUEUE_NUMBER), "--queue-bypass"));
        return rule;
    }

    /** {@code command} run in {@code namespace}, as a list that can still grow. */
    private static List<String> inNamespace(String namespace, String... command) {
        return concat(List.of("ip", "netns", "exec", namespace), command);
    }

    private static String percent(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    private static List<String> concat(List<String> head, String... tail) {
        List<String> out = new ArrayList<>(head);
        out.addAll(List.of(tail));
        return out;
    }

    private static void check(List<String> command) throws InterruptedException {
        Sh.Result result = Sh.attempt(command, COMMAND_TIMEOUT);
        if (result.exit() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed (exit " + result.exit() + "): "
                    + result.output().strip());
        }
    }
}
