package io.lumadb.node;

import com.typesafe.config.Config;
import java.io.IOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * What a node checks before it starts anything, so that the usual mistakes (a data directory it
 * cannot write, a port already taken, a host name that does not resolve) fail in a moment with
 * one line naming the setting, instead of after the actor system has started and stopped again.
 * It also keeps the embedded default's log about LumaDB: a single node's cluster membership,
 * sharding and downing chatter is logged only at WARN and above.
 */
final class StartupChecks {

    private StartupChecks() {}

    /** Fails with {@link StartupException} naming the setting when the node cannot start. */
    static void check(Config config, boolean cluster) {
        dataDirectory(config);
        securityOffOnlyOnLoopback(config);
        notInUse(Path.of(config.getString("lumadb.persistence.rocksdb.dir")).toAbsolutePath());
        encryption(config);
        port(config, "lumadb.http.host", "lumadb.http.port", "LUMADB_HTTP_PORT");
        if (cluster) {
            port(config, "lumadb.cluster.host", "lumadb.cluster.port", "LUMADB_CLUSTER_PORT");
        } else {
            quietEmbeddedCluster();
        }
    }

    /**
     * Security off lets anyone who reaches the port do everything; on an address other than
     * loopback that needs saying so explicitly.
     */
    static void securityOffOnlyOnLoopback(Config config) {
        if (config.getBoolean("lumadb.security.enabled")
                || config.getBoolean("lumadb.security.allow-off-on-non-loopback")) {
            return;
        }
        String host = config.getString("lumadb.http.host");
        boolean loopback;
        try {
            loopback = java.util.Arrays.stream(java.net.InetAddress.getAllByName(host))
                    .allMatch(java.net.InetAddress::isLoopbackAddress);
        } catch (java.net.UnknownHostException e) {
            loopback = false;
        }
        if (!loopback) {
            throw new StartupException("security is off (lumadb.security.enabled, LUMADB_SECURITY_ENABLED) but the API"
                    + " listens on " + host + " (lumadb.http.host), where anyone who reaches it could read and drop"
                    + " every database; turn security on, listen on 127.0.0.1, or set"
                    + " lumadb.security.allow-off-on-non-loopback = on if that is really meant");
        }
    }

    private static void dataDirectory(Config config) {
        Path dir = Path.of(config.getString("lumadb.data-dir")).toAbsolutePath();
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".lumadb-write-check", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new StartupException(
                    "the data directory " + dir + " (lumadb.data-dir, LUMADB_DATA_DIR) cannot be used: " + describe(e));
        }
    }

    /**
     * With encryption on, the key file must load (present, not readable by others, well formed)
     * and must not lie in the data directory: a key kept next to the data it protects protects
     * nothing once the directory (or a backup of it) is copied.
     */
    private static void encryption(Config config) {
        try {
            io.lumadb.persistence.crypto.Encryption.cipher(config);
        } catch (io.lumadb.persistence.crypto.EncryptionException e) {
            throw new StartupException("encryption at rest: " + e.getMessage());
        }
        if (!config.getBoolean(io.lumadb.persistence.crypto.Encryption.ENABLED)
                || config.getBoolean("lumadb.encryption.allow-key-file-in-data-dir")) {
            return;
        }
        Path dataDir =
                Path.of(config.getString("lumadb.data-dir")).toAbsolutePath().normalize();
        Path keyFile = Path.of(config.getString(io.lumadb.persistence.crypto.Encryption.KEY_FILE))
                .toAbsolutePath()
                .normalize();
        if (keyFile.startsWith(dataDir)) {
            throw new StartupException("encryption at rest: the key file " + keyFile
                    + " (lumadb.encryption.key-file) lies inside the data directory " + dataDir
                    + " (lumadb.data-dir); keep keys apart from the data they protect (or set"
                    + " lumadb.encryption.allow-key-file-in-data-dir = on)");
        }
    }

    /**
     * RocksDB holds an exclusive lock on {@code LOCK} while a node has the directory open. Asking
     * for the same lock tells a second node on the same data directory at once. (The lock is a
     * POSIX record lock, held per process: this runs before this process opens the directory.)
     */
    private static void notInUse(Path rocksDir) {
        Path lock = rocksDir.resolve("LOCK");
        if (!Files.isRegularFile(lock)) {
            return;
        }
        try (var channel = java.nio.channels.FileChannel.open(lock, java.nio.file.StandardOpenOption.WRITE)) {
            if (channel.tryLock() == null) {
                throw inUse(rocksDir);
            }
        } catch (java.nio.channels.OverlappingFileLockException e) {
            throw inUse(rocksDir);
        } catch (IOException e) {
            throw new StartupException("cannot check the lock of " + rocksDir + ": " + describe(e));
        }
    }

    private static StartupException inUse(Path rocksDir) {
        return new StartupException("the RocksDB directory " + rocksDir
                + " (lumadb.data-dir, LUMADB_DATA_DIR) is in use by another running LumaDB node; stop it or"
                + " give this node its own data directory");
    }

    private static void port(Config config, String hostKey, String portKey, String env) {
        int port = config.getInt(portKey);
        if (port == 0) {
            return;
        }
        String host = config.getString(hostKey);
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(InetAddress.getByName(host), port));
        } catch (IOException e) {
            throw new StartupException("cannot listen on " + host + ":" + port + " (" + hostKey + ", " + portKey + ", "
                    + env + "): " + describe(e));
        }
    }

    /**
     * One line for a failure: each distinct message of its causes, with the plain words for the
     * exceptions whose message is only a path or an address.
     */
    static String describe(Throwable failure) {
        List<String> parts = new ArrayList<>();
        for (Throwable t = failure; t != null && parts.size() < 4; t = t.getCause()) {
            String part =
                    switch (t) {
                        case NoSuchFileException e -> plain(e, "no such file or directory");
                        case AccessDeniedException e -> plain(e, "permission denied");
                        case NotDirectoryException e -> plain(e, "not a directory");
                        case java.nio.file.FileAlreadyExistsException e -> plain(e, "exists and is not a directory");
                        case FileSystemException e -> e.getMessage();
                        case BindException e -> "address already in use or not available (" + e.getMessage() + ")";
                        case UnknownHostException e -> "unknown host " + e.getMessage();
                        default -> t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
                    };
            if (parts.stream().noneMatch(p -> p.contains(part))) {
                parts.removeIf(part::contains);
                parts.add(part);
            }
        }
        return String.join(": ", parts);
    }

    private static String plain(FileSystemException e, String what) {
        return e.getFile() + ": " + (e.getReason() == null ? what : what + " (" + e.getReason() + ")");
    }

    /** A single embedded node's membership and sharding are not news; warnings still are. */
    private static void quietEmbeddedCluster() {
        for (String name : List.of("org.apache.pekko.cluster", "org.apache.pekko.actor.CoordinatedShutdown")) {
            if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger
                    && logger.getLevel() == null) {
                logger.setLevel(ch.qos.logback.classic.Level.WARN);
            }
        }
    }

    /** A node cannot start; the message is the whole explanation, for one line on the console. */
    static final class StartupException extends RuntimeException {
        StartupException(String message) {
            super(message);
        }
    }
}
