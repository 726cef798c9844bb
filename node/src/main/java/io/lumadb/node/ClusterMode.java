package io.lumadb.node;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cluster mode ({@code lumadb.mode = cluster}): several nodes form one Pekko cluster and share
 * one journal and snapshot store in PostgreSQL. This class turns LumaDB's few cluster settings
 * into Pekko's configuration ({@code lumadb-cluster.conf} plus the seed-node addresses, and with
 * encryption at rest on, the bindings of {@link PersistedTypes#sealing}) and creates the journal's
 * database and tables on first start.
 */
final class ClusterMode {

    private static final Logger log = LoggerFactory.getLogger(ClusterMode.class);
    private static final String SCHEMA = "lumadb-postgres-schema.sql";
    /** Any fixed number: the advisory lock that makes concurrent first starts create the schema once. */
    private static final long SCHEMA_LOCK = 0x4c756d6144424a4cL;

    private ClusterMode() {}

    /** Whether {@code config} asks for cluster mode; fails on a mode that does not exist. */
    static boolean enabled(Config config) {
        String mode = config.getString("lumadb.mode");
        return switch (mode) {
            case "embedded" -> false;
            case "cluster" -> true;
            default ->
                throw new IllegalArgumentException(
                        "lumadb.mode must be \"embedded\" or \"cluster\", not \"" + mode + "\"");
        };
    }

    /**
     * The configuration cluster mode adds under the user's own settings: the seed nodes derived
     * from {@code lumadb.cluster.seeds}, then {@code lumadb-cluster.conf}.
     */
    static Config layer(Config config) {
        String system = config.getString("lumadb.cluster.system-name");
        List<String> seeds = new ArrayList<>();
        for (String seed : seeds(config)) {
            seeds.add("pekko://" + system + "@" + hostPort(seed));
        }
        if (seeds.isEmpty()) {
            // No seeds: this node forms a cluster of its own that the others can join.
            seeds.add("pekko://" + system + "@" + config.getString("lumadb.cluster.host") + ":"
                    + config.getInt("lumadb.cluster.port"));
        }
        Map<String, Object> derived = new HashMap<>();
        derived.put("pekko.cluster.seed-nodes", seeds);
        derived.put("pekko-persistence-jdbc.shared-databases.slick.db.url", journalUrl(config));
        derived.putAll(clusterTls(config));
        // Encryption at rest: the journal and the snapshots in PostgreSQL receive what LumaDB persists sealed.
        derived.putAll(PersistedTypes.sealing(config));
        return ConfigFactory.parseMap(derived)
                .withFallback(ConfigFactory.parseResources(ClusterMode.class.getClassLoader(), "lumadb-cluster.conf"));
    }

    /** PostgreSQL's {@code sslmode} values, as its JDBC driver takes them. */
    private static final List<String> SSL_MODES =
            List.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

    /**
     * The journal's JDBC URL: {@code lumadb.cluster.postgres.url} with {@code ssl-mode} and {@code
     * ssl-root-cert} added as the driver's {@code sslmode} and {@code sslrootcert} parameters when
     * they are set (unset: the URL as it is, so the driver's default, {@code prefer}).
     */
    static String journalUrl(Config config) {
        String url = config.getString("lumadb.cluster.postgres.url");
        String mode = config.getString("lumadb.cluster.postgres.ssl-mode").strip();
        String rootCert =
                config.getString("lumadb.cluster.postgres.ssl-root-cert").strip();
        StringBuilder parameters = new StringBuilder();
        if (!mode.isEmpty()) {
            if (!SSL_MODES.contains(mode)) {
                throw new StartupChecks.StartupException("lumadb.cluster.postgres.ssl-mode must be one of "
                        + String.join(", ", SSL_MODES) + " (or empty for the URL's own setting), not \"" + mode + "\"");
            }
            if (url.matches(".*[?&]sslmode=.*")) {
                throw new StartupChecks.StartupException("lumadb.cluster.postgres.ssl-mode is set and"
                        + " lumadb.cluster.postgres.url has an sslmode parameter too: keep one of them");
            }
            parameters.append("sslmode=").append(mode);
        }
        if (!rootCert.isEmpty()) {
            Path file = Path.of(rootCert).toAbsolutePath();
            if (!Files.isReadable(file)) {
                throw new StartupChecks.StartupException("lumadb.cluster.postgres.ssl-root-cert: cannot read " + file
                        + " (a PEM file of the CA that" + " signed PostgreSQL's certificate)");
            }
            if (url.matches(".*[?&]sslrootcert=.*")) {
                throw new StartupChecks.StartupException("lumadb.cluster.postgres.ssl-root-cert is set and"
                        + " lumadb.cluster.postgres.url has an sslrootcert parameter too: keep one of them");
            }
            PemFiles.certificates(file, "lumadb.cluster.postgres.ssl-root-cert");
            parameters
                    .append(parameters.isEmpty() ? "" : "&")
                    .append("sslrootcert=")
                    .append(URLEncoder.encode(file.toString(), StandardCharsets.UTF_8));
        }
        if (parameters.isEmpty()) {
            return url;
        }
        return url + (url.contains("?") ? "&" : "?") + parameters;
    }

    /**
     * TLS between nodes ({@code lumadb.cluster.tls}): Artery's {@code tls-tcp} transport with
     * Pekko's rotating-keys engine, which reads the PEM files again every {@code
     * ssl-context-cache-ttl} (so renewed certificates are picked up without a restart), requires
     * the peer's certificate to be signed by the CA (mutual TLS) and to share a subject name with
     * this node's own. The files are checked here, at startup, so that a mistake stops the node
     * naming the setting instead of failing every connection later.
     */
    static Map<String, Object> clusterTls(Config config) {
        if (!config.getBoolean("lumadb.cluster.tls.enabled")) {
            return Map.of();
        }
        Path certificate = clusterFile(config, "certificate");
        Path key = clusterFile(config, "private-key");
        Path ca = clusterFile(config, "ca-certificate");
        X509Certificate own = PemFiles.certificates(certificate, "lumadb.cluster.tls.certificate")
                .getFirst();
        X509Certificate authority =
                PemFiles.certificates(ca, "lumadb.cluster.tls.ca-certificate").getFirst();
        PrivateKey privateKey = PemFiles.privateKey(key, "lumadb.cluster.tls.private-key");
        String label = pemLabel(key);
        if (!privateKey.getAlgorithm().equals("RSA")
                || !(label.equals("PRIVATE KEY") || label.equals("RSA PRIVATE KEY"))) {
            // Pekko's PEM reader takes RSA keys only, as PKCS#8 or PKCS#1.
            throw new StartupChecks.StartupException("lumadb.cluster.tls.private-key: " + key
                    + " must be an RSA key (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY): the cluster transport"
                    + " reads no other kind; it is " + privateKey.getAlgorithm() + " (" + label + ")");
        }
        PemFiles.checkPair(own, privateKey, "lumadb.cluster.tls.certificate", "lumadb.cluster.tls.private-key");
        try {
            own.verify(authority.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new StartupChecks.StartupException("lumadb.cluster.tls.certificate (" + certificate
                    + ") is not signed by the CA in lumadb.cluster.tls.ca-certificate (" + ca + "): "
                    + StartupChecks.describe(e));
        }
        String engine = "pekko.remote.artery.ssl.rotating-keys-engine.";
        Map<String, Object> settings = new HashMap<>();
        settings.put("pekko.remote.artery.transport", "tls-tcp");
        settings.put(
                "pekko.remote.artery.ssl.ssl-engine-provider",
                "org.apache.pekko.remote.artery.tcp.ssl.RotatingKeysSSLEngineProvider");
        settings.put(engine + "cert-file", certificate.toString());
        settings.put(engine + "key-file", key.toString());
        settings.put(engine + "ca-cert-file", ca.toString());
        settings.put(engine + "protocol", "TLSv1.3");
        settings.put(engine + "ssl-context-cache-ttl", config.getString("lumadb.cluster.tls.reload-interval"));
        return settings;
    }

    private static Path clusterFile(Config config, String name) {
        String setting = "lumadb.cluster.tls." + name;
        String value = config.getString(setting).strip();
        if (value.isEmpty()) {
            throw new StartupChecks.StartupException(
                    setting + " is not set; lumadb.cluster.tls.enabled is on and needs the path of a PEM file here");
        }
        return Path.of(value).toAbsolutePath();
    }

    /** The label of the first PEM block in {@code file} (read already, so readable). */
    private static String pemLabel(Path file) {
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                if (line.startsWith("-----BEGIN ") && line.endsWith("-----")) {
                    String label = line.substring("-----BEGIN ".length(), line.length() - "-----".length());
                    if (!label.equals("EC PARAMETERS")) {
                        return label;
                    }
                }
            }
        } catch (IOException e) {
            throw new StartupChecks.StartupException(
                    "lumadb.cluster.tls.private-key: cannot read " + StartupChecks.describe(e));
        }
        return "";
    }

    private static List<String> seeds(Config config) {
        String path = "lumadb.cluster.seeds";
        if (config.getValue(path).valueType() == ConfigValueType.LIST) {
            return config.getStringList(path);
        }
        return Arrays.stream(config.getString(path).split(","))
                .map(String::trim)
                .filter(s -> !s.isEmpty())
                .toList();
    }

    private static String hostPort(String seed) {
        int colon = seed.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(
                    "lumadb.cluster.seeds: \"" + seed + "\" is not host:port (for example 127.0.0.1:25520)");
        }
        try {
            int port = Integer.parseInt(seed.substring(colon + 1));
            if (port < 1 || port > 65535) {
                throw new NumberFormatException();
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("lumadb.cluster.seeds: \"" + seed + "\" has no valid port (1-65535)", e);
        }
        return seed;
    }

    /**
     * Makes sure the journal's database and tables exist, waiting up to {@code
     * lumadb.cluster.postgres.connect-timeout} for PostgreSQL. Nodes starting together create
     * them once: the database creation tolerates a concurrent one, the tables are created under
     * an advisory lock.
     */
    static void ensureJournal(Config config) {
        String url = journalUrl(config);
        String user = config.getString("lumadb.cluster.postgres.user");
        String password = config.getString("lumadb.cluster.postgres.password");
        Duration timeout = config.getDuration("lumadb.cluster.postgres.connect-timeout");
        long deadline = System.nanoTime() + timeout.toNanos();
        SQLException last;
        do {
            try (Connection c = DriverManager.getConnection(url, user, password)) {
                createTables(c);
                return;
            } catch (SQLException e) {
                last = e;
                if ("3D000".equals(e.getSQLState())) {
                    createDatabase(url, user, password);
                    continue;
                }
                String lasting = lastingFailure(e);
                if (lasting != null) {
                    // Waiting cannot fix these: say so now rather than after the whole timeout.
                    throw new IllegalStateException(
                            "cannot reach the cluster journal at " + url + ": " + e.getMessage() + " (" + lasting + ")",
                            e);
                }
                log.warn("The cluster journal at {} is not reachable yet: {}", url, e.getMessage());
            }
            sleep();
        } while (System.nanoTime() < deadline);
        throw new IllegalStateException(
                "cannot reach the cluster journal at " + url + " within " + timeout.toSeconds() + " s: "
                        + last.getMessage(),
                last);
    }

    /**
     * What to fix when {@code e} cannot go away by waiting (a server certificate that does not
     * verify, credentials or a {@code pg_hba.conf} rule PostgreSQL refuses), or null for failures
     * worth retrying (PostgreSQL not up yet, restarting, unreachable).
     */
    static String lastingFailure(SQLException e) {
        String state = e.getSQLState();
        if (state != null && state.startsWith("28")) {
            return "PostgreSQL refused the journal's connection: check lumadb.cluster.postgres.user, .password,"
                    + " .ssl-mode and the server's pg_hba.conf";
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.security.cert.CertificateException
                    || t instanceof java.security.cert.CertPathBuilderException
                    || t instanceof java.security.cert.CertPathValidatorException
                    || t instanceof javax.net.ssl.SSLPeerUnverifiedException
                    || String.valueOf(t.getMessage()).contains("could not be verified by hostnameverifier")) {
                return "the PostgreSQL server's certificate does not verify: lumadb.cluster.postgres.ssl-root-cert"
                        + " must hold the CA that signed it, and with ssl-mode verify-full the URL's host must be"
                        + " named in it";
            }
        }
        return null;
    }

    private static void createTables(Connection c) throws SQLException {
        String script;
        try (InputStream in = ClusterMode.class.getClassLoader().getResourceAsStream(SCHEMA)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + SCHEMA);
            }
            script = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + SCHEMA, e);
        }
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
            s.execute("SELECT pg_advisory_xact_lock(" + SCHEMA_LOCK + ")");
            for (String statement : script.replaceAll("(?m)^--.*$", "").split(";")) {
                if (!statement.isBlank()) {
                    s.execute(statement);
                }
            }
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        }
    }

    /** Creates the database named in {@code url} through the server's {@code postgres} database. */
    private static void createDatabase(String url, String user, String password) {
        int slash = url.indexOf('/', "jdbc:postgresql://".length());
        int end = url.indexOf('?', slash);
        String name = url.substring(slash + 1, end < 0 ? url.length() : end);
        if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalStateException("the journal database \"" + name
                    + "\" does not exist and LumaDB only creates plainly named ones; create it yourself");
        }
        String admin = url.substring(0, slash + 1) + "postgres" + (end < 0 ? "" : url.substring(end));
        try (Connection c = DriverManager.getConnection(admin, user, password);
                Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
            log.info("Created the cluster journal database {}", name);
        } catch (SQLException e) {
            // Created meanwhile by another node: 42P04, or 23505 when both inserted at once.
            if (!"42P04".equals(e.getSQLState()) && !"23505".equals(e.getSQLState())) {
                throw new IllegalStateException(
                        "the journal database \"" + name + "\" does not exist and cannot be created: " + e.getMessage(),
                        e);
            }
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the cluster journal", e);
        }
    }
}
