package io.lumadb.node;

import io.lumadb.node.StartupChecks.StartupException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Certificates and private keys read from PEM files, for the node's TLS settings. Private keys may
 * be RSA or EC (and Ed25519), in PKCS#8 ({@code BEGIN PRIVATE KEY}) or the traditional PKCS#1
 * ({@code BEGIN RSA PRIVATE KEY}) and SEC1 ({@code BEGIN EC PRIVATE KEY}) forms; they must not
 * be encrypted. Every failure is a {@link StartupException} naming the setting that points at the
 * file. The keys are converted by the JDK's own key factories, so no security provider is added.
 */
final class PemFiles {

    private PemFiles() {}

    /** The certificates in {@code file}, in file order (the node's own first, then its issuers). */
    static List<X509Certificate> certificates(Path file, String setting) {
        JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
        List<X509Certificate> certificates = new ArrayList<>();
        try (PEMParser parser = parser(file, setting)) {
            for (Object item = parser.readObject(); item != null; item = parser.readObject()) {
                if (item instanceof X509CertificateHolder holder) {
                    certificates.add(converter.getCertificate(holder));
                }
            }
        } catch (IOException | CertificateException | RuntimeException e) {
            if (e instanceof StartupException startup) {
                throw startup;
            }
            throw new StartupException(
                    setting + ": " + file + " is not a readable PEM certificate file: " + StartupChecks.describe(e));
        }
        if (certificates.isEmpty()) {
            throw new StartupException(
                    setting + ": " + file + " holds no certificate (expected -----BEGIN CERTIFICATE----- blocks)");
        }
        return List.copyOf(certificates);
    }

    /** The one private key in {@code file}. */
    static PrivateKey privateKey(Path file, String setting) {
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try (PEMParser parser = parser(file, setting)) {
            for (Object item = parser.readObject(); item != null; item = parser.readObject()) {
                switch (item) {
                    // PKCS#1 (RSA PRIVATE KEY) and SEC1 (EC PRIVATE KEY)
                    case PEMKeyPair pair -> {
                        return converter.getPrivateKey(pair.getPrivateKeyInfo());
                    }
                    // PKCS#8 (PRIVATE KEY)
                    case PrivateKeyInfo info -> {
                        return converter.getPrivateKey(info);
                    }
                    case PEMEncryptedKeyPair encrypted -> throw encrypted(file, setting);
                    case PKCS8EncryptedPrivateKeyInfo encrypted -> throw encrypted(file, setting);
                    // EC PARAMETERS (written before the key by `openssl ecparam -genkey`), certificates
                    default -> {}
                }
            }
        } catch (IOException | RuntimeException e) {
            if (e instanceof StartupException startup) {
                throw startup;
            }
            throw new StartupException(
                    setting + ": " + file + " is not a readable PEM private key file: " + StartupChecks.describe(e));
        }
        throw new StartupException(setting + ": " + file
                + " holds no private key (expected a -----BEGIN PRIVATE KEY-----, RSA PRIVATE KEY or EC PRIVATE KEY"
                + " block)");
    }

    /**
     * Fails unless {@code key} is the private key of {@code certificate}: a test message signed with
     * the key must verify with the certificate's public key.
     */
    static void checkPair(X509Certificate certificate, PrivateKey key, String certificateSetting, String keySetting) {
        PublicKey publicKey = certificate.getPublicKey();
        String mismatch =
                "the private key (" + keySetting + ") does not belong to the first certificate (" + certificateSetting
                        + ", " + certificate.getSubjectX500Principal().getName() + ")";
        String algorithm =
                switch (key.getAlgorithm()) {
                    case "RSA" -> "SHA256withRSA";
                    case "EC" -> "SHA256withECDSA";
                    case "EdDSA", "Ed25519", "Ed448" -> key.getAlgorithm();
                    default ->
                        throw new StartupException(keySetting + ": " + key.getAlgorithm()
                                + " keys are not supported; use an RSA or EC key");
                };
        if (!sameFamily(key.getAlgorithm(), publicKey.getAlgorithm())) {
            throw new StartupException(mismatch + ": the key is " + key.getAlgorithm() + ", the certificate's is "
                    + publicKey.getAlgorithm());
        }
        byte[] probe = new byte[32];
        new SecureRandom().nextBytes(probe);
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(publicKey);
            verifier.update(probe);
            if (!verifier.verify(signature)) {
                throw new StartupException(mismatch);
            }
        } catch (GeneralSecurityException e) {
            throw new StartupException(mismatch + ": " + StartupChecks.describe(e));
        }
    }

    private static boolean sameFamily(String keyAlgorithm, String certificateAlgorithm) {
        boolean edKey = keyAlgorithm.startsWith("Ed");
        boolean edCertificate = certificateAlgorithm.startsWith("Ed");
        return edKey || edCertificate ? edKey && edCertificate : keyAlgorithm.equals(certificateAlgorithm);
    }

    private static StartupException encrypted(Path file, String setting) {
        return new StartupException(setting + ": " + file
                + " holds an encrypted private key; LumaDB reads unencrypted keys only (decrypt it with"
                + " `openssl pkey -in " + file + " -out plain.key` and keep that file readable by the node only)");
    }

    private static PEMParser parser(Path file, String setting) {
        try {
            Reader reader = Files.newBufferedReader(file, StandardCharsets.US_ASCII);
            return new PEMParser(reader);
        } catch (IOException e) {
            throw new StartupException(setting + ": cannot read " + StartupChecks.describe(e));
        }
    }
}
