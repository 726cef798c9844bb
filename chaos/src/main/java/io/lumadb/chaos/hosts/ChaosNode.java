package io.lumadb.chaos.hosts;

import io.lumadb.testkit.NodeProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One LumaDB node of a chaos run: {@code java -jar lumadb.jar} in its own network namespace, on
 * its own address with the standard ports, a data directory and a log that survive restarts. It
 * can be killed ({@code SIGKILL}), paused ({@code SIGSTOP}) and resumed ({@code SIGCONT}), and, if
 * it was given a small disk, have that disk filled.
 */
public final class ChaosNode {

    /** The ports are the same on every node: each namespace has its own network stack. */
    public static final int HTTP_PORT = 8080;

    public static final int CLUSTER_PORT = 25520;
    public static final int MANAGEMENT_PORT = 7626;

    private final int index;
    private final String ip;
    private final Path dataDir;
    private final NodeProcess process;
    private final boolean smallDisk;
    private volatile boolean paused;

    ChaosNode(
            int index,
            String ip,
            Path jar,
            Path dataDir,
            Path log,
            List<String> prefix,
            List<String> options,
            boolean smallDisk)
            throws IOException {
        this.index = index;
        this.ip = ip;
        this.dataDir = dataDir;
        this.smallDisk = smallDisk;
        this.process = NodeProcess.builder(dataDir)
                .name(name())
                .jar(jar)
                .port(HTTP_PORT)
                .log(log)
                .heap("384m")
                .commandPrefix(prefix)
                .jvmOptions(options)
                .build();
    }

    /** {@code n1}, {@code n2}, ... */
    public String name() {
        return "n" + (index + 1);
    }

    public int index() {
        return index;
    }

    public String ip() {
        return ip;
    }

    /** The node's cluster address, {@code ip:port}. */
    public String address() {
        return ip + ":" + CLUSTER_PORT;
    }

    /** The URL of {@code path} on the node's HTTP API. */
    public String url(String path) {
        return "http://" + ip + ":" + HTTP_PORT + path;
    }

    /** The URL of {@code path} on the node's Pekko Management endpoint ({@code /ready}, {@code /alive}). */
    public String managementUrl(String path) {
        return "http://" + ip + ":" + MANAGEMENT_PORT + path;
    }

    public Path log() {
        return process.log();
    }

    public boolean alive() {
        return process.alive();
    }

    public long pid() {
        return process.pid();
    }

    public int starts() {
        return process.starts();
    }

    public boolean paused() {
        return paused;
    }

    /** Starts the process; returns at once. */
    public synchronized void start() throws IOException {
        process.launch(List.of());
    }

    /** SIGKILL, waiting until the process is gone. */
    public synchronized void kill9() throws InterruptedException {
        if (paused) {
            resume(); // a stopped process dies of SIGKILL too, but its children's state is clearer this way
        }
        process.kill9();
    }

    /** SIGSTOP: the JVM freezes, as in a long GC pause or a stalled VM, and its sockets stay open. */
    public synchronized void pause() {
        Sh.run("kill", "-STOP", Long.toString(process.pid()));
        paused = true;
    }

    /** SIGCONT. */
    public synchronized void resume() {
        Sh.attempt("kill", "-CONT", Long.toString(process.pid()));
        paused = false;
    }

    /** Fills the node's small disk with a file; returns its size. {@link #freeDisk} removes it. */
    public long fillDisk() throws IOException {
        if (!smallDisk) {
            throw new IllegalStateException(name() + " has no small disk of its own to fill");
        }
        return io.lumadb.testkit.SmallDisk.fillUp(filler());
    }

    /** Removes the file {@link #fillDisk} wrote. */
    public void freeDisk() throws IOException {
        Files.deleteIfExists(filler());
    }

    private Path filler() {
        return dataDir.resolve("chaos-disk-filler");
    }

    /** Kills the process if it runs (resuming it first if paused); for cleanup, never throws. */
    public void destroy() {
        if (paused) {
            resume();
        }
        process.destroy();
    }

    @Override
    public String toString() {
        return name() + "(" + ip + (alive() ? ", pid " + pid() : ", down") + (paused ? ", paused" : "") + ")";
    }
}
