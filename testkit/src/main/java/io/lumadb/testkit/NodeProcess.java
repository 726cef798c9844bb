package io.lumadb.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The LumaDB distribution ({@code node/target/lumadb.jar}, path in system property {@code
 * lumadb.jar} unless {@link Builder#jar given}) running as a separate process on its own HTTP
 * port and data directory, both of which survive its restarts. Its output is appended to a log
 * file, each start behind a header line naming the command. Tests must {@link #close()} it;
 * close kills it (and, if the JVM running the test dies first, a shutdown hook does).
 *
 * <p>The port and data directory reach the node as {@code LUMADB_HTTP_PORT} and {@code
 * LUMADB_DATA_DIR}; anything else (cluster settings, limits) as JVM options.
 */
public final class NodeProcess implements AutoCloseable {

    /** How long {@link #start()} waits for {@code /health} by default. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final String name;
    private final Path jar;
    private final Path dataDir;
    private final Path log;
    private final int port;
    private final int postgresPort;
    private final String heap;
    private final List<String> jvmOptions;
    private final List<String> prefix;
    private final String ulimit;
    private final boolean deleteDataDir;
    private final Thread killOnExit;
    private Process process;
    private int starts;
    /** The node's java.io.tmpdir, removed with the node (see {@link #destroy()}). */
    private Path tmpDir;

    private NodeProcess(Builder b) throws IOException {
        this.name = b.name;
        this.jar = b.jar != null ? b.jar : distributionJar();
        this.dataDir = b.dataDir;
        this.log = b.log != null ? b.log : b.dataDir.resolve("server.log");
        this.port = b.port != 0 ? b.port : Ports.free();
        this.heap = b.heap;
        List<String> options = new ArrayList<>();
        if (!b.security) {
            options.add("-Dlumadb.security.enabled=off");
        }
        // The PostgreSQL protocol only where a test asks for it, never on whatever port is free.
        this.postgresPort = b.postgres ? Ports.free() : 0;
        options.add(b.postgres ? "-Dlumadb.sql.postgres.enabled=on" : "-Dlumadb.sql.postgres.enabled=off");
        if (b.postgres) {
            options.add("-Dlumadb.sql.postgres.port=" + postgresPort);
        }
        options.addAll(b.jvmOptions);
        this.jvmOptions = List.copyOf(options);
        this.prefix = List.copyOf(b.prefix);
        this.ulimit = b.ulimit;
        this.deleteDataDir = b.deleteDataDir;
        this.killOnExit = new Thread(this::destroy, "kill-" + name);
    }

    /** A node (not started) on {@code dataDir}, a free port and the default options. */
    public NodeProcess(Path dataDir) throws IOException {
        this(builder(dataDir));
    }

    /** A node on {@code dataDir}, to be configured before {@link Builder#build()}. */
    public static Builder builder(Path dataDir) {
        return new Builder(dataDir);
    }

    /** How a node process is started; every setting has a default. */
    public static final class Builder {
        private final Path dataDir;
        private String name = "the node";
        private Path jar;
        private Path log;
        private int port;
        private String heap = "512m";
        private final List<String> jvmOptions = new ArrayList<>();
        private final List<String> prefix = new ArrayList<>();
        private String ulimit;
        private boolean deleteDataDir;
        private boolean security;
        private boolean postgres;

        private Builder(Path dataDir) {
            this.dataDir = dataDir;
        }

        /** The node's name in messages and log headers. */
        public Builder name(String name) {
            this.name = name;
            return this;
        }

        /** The distribution jar; by default system property {@code lumadb.jar}. */
        public Builder jar(Path jar) {
            this.jar = jar;
            return this;
        }

        /** The log file (appended to); by default {@code server.log} in the data directory. */
        public Builder log(Path log) {
            this.log = log;
            return this;
        }

        /** Listen for the PostgreSQL protocol too, on a free port ({@link NodeProcess#postgresPort()}). */
        public Builder postgresProtocol() {
            this.postgres = true;
            return this;
        }

        /** The HTTP port; by default a free one. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** The maximum heap ({@code -Xmx}), such as {@code 512m} (the default). */
        public Builder heap(String heap) {
            this.heap = heap;
            return this;
        }

        /** JVM options (such as {@code -D} overrides of the node's configuration), for every start. */
        public Builder jvmOptions(List<String> options) {
            this.jvmOptions.addAll(options);
            return this;
        }

        /** @see #jvmOptions(List) */
        public Builder jvmOptions(String... options) {
            return jvmOptions(List.of(options));
        }

        /**
         * A command that runs the JVM, such as {@code taskset -c 0}; it must exec it in place, so
         * that {@link #pid()} is the JVM's.
         */
        public Builder commandPrefix(List<String> prefix) {
            this.prefix.addAll(prefix);
            return this;
        }

        /** Starts the node under {@code ulimit <arguments>} (for example {@code -n 1024}), through bash. */
        public Builder ulimit(String arguments) {
            this.ulimit = arguments;
            return this;
        }

        /**
         * Leaves LumaDB's security on (its default). Nodes of the tests run with it off unless
         * asked: most tests are about other things and speak to the node without credentials.
         */
        public Builder securityOn() {
            this.security = true;
            return this;
        }

        /** {@link #close()} deletes the data directory too. */
        public Builder deleteDataDirOnClose() {
            this.deleteDataDir = true;
            return this;
        }

        /** The node, not started; fails if the jar is missing. */
        public NodeProcess build() throws IOException {
            return new NodeProcess(this);
        }
    }

    /** The distribution jar named by system property {@code lumadb.jar}; fails clearly if it is missing. */
    public static Path distributionJar() {
        String jar = System.getProperty("lumadb.jar");
        if (jar == null || !Files.exists(Path.of(jar))) {
            throw new IllegalStateException("the distribution jar is missing (lumadb.jar=" + jar
                    + "); build it in the reactor with node's package phase, such as 'mvn verify -pl <module> -am'");
        }
        return Path.of(jar);
    }

    /**
     * The command that runs the distribution jar with this JVM's java and the default options,
     * with {@code jvmOptions} before {@code -jar}: for tests that run the jar to its end.
     */
    public static ProcessBuilder command(String... jvmOptions) {
        return new ProcessBuilder(javaCommand(distributionJar(), "512m", List.of(jvmOptions)));
    }

    private static List<String> javaCommand(Path jar, String heap, List<String> options) {
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> command = new ArrayList<>(List.of(
                java, "--enable-native-access=ALL-UNNAMED", "--add-modules", "jdk.incubator.vector", "-Xmx" + heap));
        command.addAll(options);
        command.add("-jar");
        command.add(jar.toString());
        return command;
    }

    public String name() {
        return name;
    }

    public int port() {
        return port;
    }

    /** The PostgreSQL protocol's port, if the node was built with {@link Builder#postgresProtocol()}. */
    public int postgresPort() {
        if (postgresPort == 0) {
            throw new IllegalStateException(name + " does not listen for the PostgreSQL protocol");
        }
        return postgresPort;
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port);
    }

    /** The URL of {@code path} on the node's HTTP API. */
    public String url(String path) {
        return "http://127.0.0.1:" + port + path;
    }

    /** The distribution jar this node runs. */
    public Path jar() {
        return jar;
    }

    public Path dataDir() {
        return dataDir;
    }

    public Path log() {
        return log;
    }

    /** How often the process was started. */
    public synchronized int starts() {
        return starts;
    }

    public synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /** The node's process id (the JVM's: bash and a command prefix exec it), or -1 before the first start. */
    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    /** Starts the node and waits until {@code /health} answers 200 (at most {@link #START_TIMEOUT}). */
    public void start() throws IOException, InterruptedException {
        launch(List.of());
        awaitHealthy(START_TIMEOUT);
    }

    /**
     * Starts the process and returns at once, with {@code options} after the builder's JVM
     * options for this start only. Fails if it is running already.
     */
    public synchronized void launch(List<String> options) throws IOException {
        if (alive()) {
            throw new IllegalStateException(name + " is running already");
        }
        Files.createDirectories(dataDir);
        if (tmpDir == null) {
            // RocksDB unpacks its 14 MB native library into java.io.tmpdir and deletes it only
            // when the JVM exits normally: a node killed with SIGKILL would leave it in /tmp.
            tmpDir = Files.createTempDirectory("lumadb-node-tmp");
        }
        List<String> jvm = new ArrayList<>(jvmOptions);
        jvm.add("-Djava.io.tmpdir=" + tmpDir);
        jvm.addAll(options);
        List<String> command = new ArrayList<>(prefix);
        command.addAll(javaCommand(jar, heap, jvm));
        if (ulimit != null) {
            List<String> wrapped =
                    new ArrayList<>(List.of("bash", "-c", "ulimit " + ulimit + " && exec \"$@\"", "node"));
            wrapped.addAll(command);
            command = wrapped;
        }
        Files.writeString(
                log,
                "==== " + Instant.now() + " start " + (starts + 1) + " of " + name + ": " + String.join(" ", command)
                        + "\n",
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("LUMADB_HTTP_PORT", Integer.toString(port));
        pb.environment().put("LUMADB_DATA_DIR", dataDir.toString());
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        process = pb.start();
        if (starts++ == 0) {
            Runtime.getRuntime().addShutdownHook(killOnExit);
        }
    }

    /** Waits until {@code /health} answers 200; fails with the log if the process exits or time runs out. */
    public void awaitHealthy(Duration timeout) throws IOException, InterruptedException {
        Process p = current();
        try (HttpClient client = HttpClient.newHttpClient()) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    throw new IllegalStateException(
                            name + " exited with " + p.exitValue() + "; log:\n" + Files.readString(log));
                }
                try {
                    HttpResponse<String> r = client.send(
                            HttpRequest.newBuilder(URI.create(url("/health")))
                                    .timeout(Duration.ofSeconds(2))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        return;
                    }
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException(
                name + " did not start within " + timeout.toSeconds() + " s; log:\n" + Files.readString(log));
    }

    /** SIGKILL (a crash: no shutdown hook, no flush), then waits until the process is gone (it holds the RocksDB lock until then). */
    public void kill9() throws InterruptedException {
        Process p = current();
        p.destroyForcibly();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            throw new AssertionError(name + " (pid " + p.pid() + ") survived SIGKILL for 30 s");
        }
    }

    /** SIGTERM (a clean shutdown that flushes RocksDB), then waits for the exit; returns the exit code. */
    public int terminate() throws InterruptedException {
        sigterm();
        return awaitExit(60);
    }

    /** Sends SIGTERM and returns at once; see {@link #awaitExit}. */
    public void sigterm() {
        current().destroy();
    }

    /** Waits for the process to exit after {@link #sigterm}; returns its exit code, or kills it and fails. */
    public int awaitExit(long seconds) throws InterruptedException {
        Process p = current();
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(name + " (pid " + p.pid() + ") did not exit within " + seconds + " s of SIGTERM");
        }
        return p.exitValue();
    }

    /** SIGTERM, then SIGKILL if it still runs after {@code grace}; never throws. */
    public void stop(Duration grace) {
        Process p;
        synchronized (this) {
            p = process;
        }
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (!p.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                destroy();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            destroy();
        }
    }

    /**
     * Kills the process if it still runs and waits for it to be gone, then removes its temporary
     * directory (a later start makes a new one); for cleanup, never throws.
     */
    public void destroy() {
        Process p;
        Path tmp;
        synchronized (this) {
            p = process;
            tmp = tmpDir;
        }
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (tmp != null && (p == null || !p.isAlive())) {
            synchronized (this) {
                if (tmpDir == tmp) {
                    tmpDir = null;
                }
            }
            try {
                TestFiles.deleteRecursively(tmp);
            } catch (IOException e) {
                System.err.println("could not remove " + tmp + " of " + name + ": " + e);
            }
        }
    }

    /** Kills the process if it runs, and deletes the data directory if the builder said so. */
    @Override
    public void close() throws IOException {
        destroy();
        if (starts() > 0) {
            try {
                Runtime.getRuntime().removeShutdownHook(killOnExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs anyway
            }
        }
        if (deleteDataDir) {
            TestFiles.deleteRecursively(dataDir);
        }
    }

    private synchronized Process current() {
        if (process == null) {
            throw new IllegalStateException(name + " was never started");
        }
        return process;
    }

    @Override
    public String toString() {
        return name + "(http " + port + ", " + dataDir + ")";
    }
}
