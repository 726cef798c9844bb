package io.lumadb.client;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * TLS trust for a node whose certificate comes from a private CA or is self-signed: the
 * certificates of a PEM file instead of the JDK's default trust store. Used by {@link
 * LumaDbClient.Builder#caCertificate} and by the {@code lumadb} command line.
 */
public final class TrustedCertificates {

    private TrustedCertificates() {}

    /**
     * A TLS context that trusts exactly the CA certificate(s) in {@code pemFile}.
     *
     * @throws IllegalArgumentException if the file is unreadable or holds no certificate
     */
    public static SSLContext sslContext(Path pemFile) {
        Collection<? extends Certificate> certificates;
        try (InputStream in = Files.newInputStream(pemFile)) {
            certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "caCertificate " + pemFile + " is not a readable PEM certificate file: " + e, e);
        }
        if (certificates.isEmpty()) {
            throw new IllegalArgumentException("caCertificate " + pemFile + " holds no certificate");
        }
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            int n = 0;
            for (Certificate certificate : certificates) {
                trust.setCertificateEntry("ca-" + n++, certificate);
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, factory.getTrustManagers(), null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("cannot set up TLS trusting " + pemFile + ": " + e, e);
        }
    }
}
