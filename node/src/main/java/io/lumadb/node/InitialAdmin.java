package io.lumadb.node;

import io.lumadb.security.Security;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first admin: when the security catalog has no user (the first start of a fresh data
 * directory, or of a fresh cluster), the node creates the user {@code admin} with the password
 * from {@code LUMADB_ADMIN_PASSWORD}, or with a generated one that it prints once and writes to
 * {@code <data-dir>/initial-admin-password}, readable by the node's user only.
 */
final class InitialAdmin {

    /** The file holding a generated first admin password. */
    static final String FILE = "initial-admin-password";

    private static final Logger log = LoggerFactory.getLogger(InitialAdmin.class);

    private InitialAdmin() {}

    /**
     * Creates the first admin if there is no user. A single node waits for it (the catalog is
     * local); a cluster node whose catalog is not reachable yet keeps trying in the background,
     * since another node may be the one to create it.
     */
    static void create(Security security, Path dataDir, boolean cluster) {
        try {
            Optional<String> generated =
                    security.bootstrap().toCompletableFuture().get(30, TimeUnit.SECONDS);
            generated.ifPresent(password -> announce(password, dataDir));
        } catch (Exception e) {
            if (!cluster) {
                throw new IllegalStateException("could not create the first admin user: " + e.getMessage(), e);
            }
            log.warn("Could not reach the security catalog to check for a first admin ({}); retrying", e.toString());
            Thread retry = new Thread(
                    () -> {
                        while (true) {
                            try {
                                Thread.sleep(Duration.ofSeconds(5));
                                security.bootstrap()
                                        .toCompletableFuture()
                                        .get(30, TimeUnit.SECONDS)
                                        .ifPresent(password -> announce(password, dataDir));
                                return;
                            } catch (InterruptedException stop) {
                                return;
                            } catch (Exception again) {
                                log.debug("security catalog still unreachable", again);
                            }
                        }
                    },
                    "lumadb-initial-admin");
            retry.setDaemon(true);
            retry.start();
        }
    }

    private static void announce(String password, Path dataDir) {
        Path file = dataDir.toAbsolutePath().normalize().resolve(FILE);
        try {
            Files.deleteIfExists(file);
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, password + "\n", StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
        // Printed once, on standard output, so that it reaches whoever started the node.
        System.out.println();
        System.out.println("  LumaDB created the user 'admin' with the password:  " + password);
        System.out.println("  It is also in " + file + " (readable by this user only).");
        System.out.println("  Sign in with:  curl -u admin:" + password + " http://127.0.0.1:<port>/api/v1");
        System.out.println();
        log.info("Created the first admin user 'admin'; its generated password is in {}", file);
    }
}
