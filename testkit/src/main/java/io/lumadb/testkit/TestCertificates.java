package io.lumadb.testkit;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.sec.ECPrivateKey;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

/**
 * A throw-away certificate authority and the certificates it signs, made at test time and written
 * as PEM files, for tests of LumaDB's TLS listeners. Node certificates name {@code 127.0.0.1} and
 * {@code localhost}, so clients that verify host names accept them on loopback.
 */
public final class TestCertificates {

    /** The key algorithm of a certificate. */
    public enum KeyType {
        RSA,
        EC
    }

    /** How a private key is written: PKCS#8, or the traditional PKCS#1 (RSA) / SEC1 (EC) form. */
    public enum KeyForm {
        PKCS8,
        TRADITIONAL
    }

    /** A certificate and its key, written to {@code certificate} and {@code privateKey}. */
    public record Issued(Path certificate, Path privateKey, X509Certificate x509, KeyPair keys) {}

    private final String name;
    private final KeyPair caKeys;
    private final X509Certificate ca;
    private final Path caFile;

    private TestCertificates(String name, KeyPair caKeys, X509Certificate ca, Path caFile) {
        this.name = name;
        this.caKeys = caKeys;
        this.ca = ca;
        this.caFile = caFile;
    }

    /** A new CA named {@code name} (an RSA key), its certificate written to {@code dir/ca.crt}. */
    public static TestCertificates authority(Path dir, String name) {
        KeyPair keys = keyPair(KeyType.RSA);
        X500Name subject = new X500Name("CN=" + name);
        X509Certificate ca = sign(subject, keys, subject, keys, true, null);
        Path file = dir.resolve("ca.crt");
        write(file, ca);
        return new TestCertificates(name, keys, ca, file);
    }

    /** The CA's certificate as PEM. */
    public Path caFile() {
        return caFile;
    }

    public X509Certificate caCertificate() {
        return ca;
    }

    /**
     * A certificate for {@code commonName} (also a DNS name in it, with {@code localhost} and
     * {@code 127.0.0.1}) signed by this CA: {@code dir/<file>.crt} holds it then the CA's
     * certificate (a chain), {@code dir/<file>.key} its key in {@code form}.
     */
    public Issued issue(Path dir, String file, String commonName, KeyType type, KeyForm form) {
        KeyPair keys = keyPair(type);
        GeneralNames names = new GeneralNames(new GeneralName[] {
            new GeneralName(GeneralName.dNSName, commonName),
            new GeneralName(GeneralName.dNSName, "localhost"),
            new GeneralName(GeneralName.iPAddress, "127.0.0.1")
        });
        X509Certificate certificate =
                sign(new X500Name("CN=" + commonName), keys, new X500Name("CN=" + name), caKeys, false, names);
        Path certificateFile = dir.resolve(file + ".crt");
        Path keyFile = dir.resolve(file + ".key");
        write(certificateFile, certificate, ca);
        try (Writer out = Files.newBufferedWriter(keyFile, StandardCharsets.US_ASCII);
                JcaPEMWriter pem = new JcaPEMWriter(out)) {
            if (form == KeyForm.PKCS8) {
                pem.writeObject(new JcaPKCS8Generator(keys.getPrivate(), null));
            } else if (type == KeyType.EC) {
                // SEC1 as openssl writes it: the curve inside the key (the JDK's encoding leaves it out).
                PrivateKeyInfo info =
                        PrivateKeyInfo.getInstance(keys.getPrivate().getEncoded());
                ECPrivateKey inner = ECPrivateKey.getInstance(info.parsePrivateKey());
                ECPrivateKey sec1 = new ECPrivateKey(
                        256,
                        inner.getKey(),
                        inner.getPublicKey(),
                        info.getPrivateKeyAlgorithm().getParameters());
                pem.writeObject(new PemObject("EC PRIVATE KEY", sec1.getEncoded()));
            } else {
                pem.writeObject(keys.getPrivate()); // PKCS#1: BEGIN RSA PRIVATE KEY
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Issued(certificateFile, keyFile, certificate, keys);
    }

    /** A client-side context that trusts this CA only. */
    public SSLContext clientContext() {
        return clientContext(null);
    }

    /**
     * A client-side context that trusts this CA only and, for servers that ask for one (mutual
     * TLS), presents {@code identity} (a certificate this CA issued); none when it is null.
     */
    public SSLContext clientContext(Issued identity) {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("ca", ca);
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(trust);
            KeyManager[] keyManagers = null;
            if (identity != null) {
                KeyStore own = KeyStore.getInstance("PKCS12");
                own.load(null, null);
                char[] password = "unused".toCharArray();
                own.setKeyEntry(
                        "identity", identity.keys().getPrivate(), password, new Certificate[] {identity.x509()});
                KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                keys.init(own, password);
                keyManagers = keys.getKeyManagers();
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers, factory.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The PEM text of {@code certificate}. */
    public static String pem(X509Certificate certificate) {
        StringWriter text = new StringWriter();
        try (JcaPEMWriter pem = new JcaPEMWriter(text)) {
            pem.writeObject(certificate);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    private static void write(Path file, X509Certificate... certificates) {
        StringBuilder text = new StringBuilder();
        for (X509Certificate certificate : certificates) {
            text.append(pem(certificate));
        }
        try {
            Files.writeString(file, text, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static KeyPair keyPair(KeyType type) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(type.name());
            if (type == KeyType.RSA) {
                generator.initialize(2048);
            } else {
                generator.initialize(new ECGenParameterSpec("secp256r1"));
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static X509Certificate sign(
            X500Name subject,
            KeyPair subjectKeys,
            X500Name issuer,
            KeyPair issuerKeys,
            boolean ca,
            GeneralNames names) {
        Instant now = Instant.now();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                issuer,
                new BigInteger(64, new SecureRandom()),
                Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(2))),
                subject,
                subjectKeys.getPublic());
        try {
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(ca));
            if (ca) {
                builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            } else {
                builder.addExtension(
                        Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
                builder.addExtension(Extension.subjectAlternativeName, false, names);
            }
            String algorithm =
                    issuerKeys.getPrivate().getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
            return new JcaX509CertificateConverter()
                    .getCertificate(
                            builder.build(new JcaContentSignerBuilder(algorithm).build(issuerKeys.getPrivate())));
        } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
            throw new IllegalStateException(e);
        }
    }
}
