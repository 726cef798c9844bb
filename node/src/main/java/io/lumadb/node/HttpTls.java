package io.lumadb.node;

import com.typesafe.config.Config;
import io.lumadb.node.StartupChecks.StartupException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * TLS for the HTTP API ({@code lumadb.http.tls}): the node's certificate chain and private key from
 * PEM files, served with TLS 1.3 only (a client offering TLS 1.2 or older fails the handshake).
 * The files are read once, at startup; a missing, unreadable or mismatched file stops the node
 * with a message naming the setting.
 */
final class HttpTls {

    static final String ENABLED = "lumadb.http.tls.enabled";
    static final String CERTIFICATE_CHAIN = "lumadb.http.tls.certificate-chain";
    static final String PRIVATE_KEY = "lumadb.http.tls.private-key";
    /** The only protocol the API speaks over TLS. */
    static final String PROTOCOL = "TLSv1.3";

    private static final Logger log = LoggerFactory.getLogger(HttpTls.class);

    private final SSLContext context;
    private final X509Certificate certificate;

    private HttpTls(SSLContext context, X509Certificate certificate) {
        this.context = context;
        this.certificate = certificate;
    }

    /** The API's TLS from {@code config}; empty when {@code lumadb.http.tls.enabled} is off. */
    static Optional<HttpTls> from(Config config) {
        if (!config.getBoolean(ENABLED)) {
            return Optional.empty();
        }
        Path chainFile = file(config, CERTIFICATE_CHAIN);
        Path keyFile = file(config, PRIVATE_KEY);
        List<X509Certificate> chain = PemFiles.certificates(chainFile, CERTIFICATE_CHAIN);
        PrivateKey key = PemFiles.privateKey(keyFile, PRIVATE_KEY);
        X509Certificate leaf = chain.getFirst();
        PemFiles.checkPair(leaf, key, CERTIFICATE_CHAIN, PRIVATE_KEY);
        Instant now = Instant.now();
        if (leaf.getNotAfter().toInstant().isBefore(now)) {
            log.warn(
                    "The API's certificate ({}, {}) expired on {}; clients will refuse it",
                    CERTIFICATE_CHAIN,
                    leaf.getSubjectX500Principal().getName(),
                    leaf.getNotAfter().toInstant());
        } else if (leaf.getNotBefore().toInstant().isAfter(now)) {
            log.warn(
                    "The API's certificate ({}, {}) is not valid before {}; clients will refuse it until then",
                    CERTIFICATE_CHAIN,
                    leaf.getSubjectX500Principal().getName(),
                    leaf.getNotBefore().toInstant());
        }
        try {
            // The key store lives only in memory; its password protects nothing.
            char[] password = "lumadb".toCharArray();
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("lumadb-http", key, password, chain.toArray(Certificate[]::new));
            KeyManagerFactory keys = KeyManagerFactory.getInstance("PKIX");
            keys.init(store, password);
            SSLContext context = SSLContext.getInstance(PROTOCOL);
            context.init(keys.getKeyManagers(), null, null);
            return Optional.of(new HttpTls(context, leaf));
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new StartupException("cannot set up TLS from " + CERTIFICATE_CHAIN + " and " + PRIVATE_KEY + ": "
                    + StartupChecks.describe(e));
        }
    }

    private static Path file(Config config, String setting) {
        String value = config.getString(setting).strip();
        if (value.isEmpty()) {
            throw new StartupException(
                    setting + " is not set; " + ENABLED + " is on and needs the path of a PEM file here");
        }
        return Path.of(value).toAbsolutePath();
    }

    /** A server engine for one connection: TLS 1.3 only, HTTP/1.1 offered by ALPN. */
    SSLEngine newEngine() {
        SSLEngine engine = context.createSSLEngine();
        engine.setUseClientMode(false);
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setProtocols(new String[] {PROTOCOL});
        parameters.setApplicationProtocols(new String[] {"http/1.1"});
        engine.setSSLParameters(parameters);
        return engine;
    }

    /** The subject of the node's certificate, for the startup log. */
    String subject() {
        return certificate.getSubjectX500Principal().getName();
    }
}
