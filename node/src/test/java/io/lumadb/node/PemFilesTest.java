package io.lumadb.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lumadb.testkit.TestCertificates;
import io.lumadb.testkit.TestCertificates.Issued;
import io.lumadb.testkit.TestCertificates.KeyForm;
import io.lumadb.testkit.TestCertificates.KeyType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PemFilesTest {

    @TempDir
    Path dir;

    private void readsKeyAndChain(KeyType type, KeyForm form, String header) throws Exception {
        TestCertificates ca = TestCertificates.authority(dir, "PemFilesTest CA");
        Issued issued = ca.issue(dir, type + "-" + form, "node.test", type, form);
        assertTrue(Files.readString(issued.privateKey()).startsWith("-----BEGIN " + header + "-----"));
        List<X509Certificate> chain = PemFiles.certificates(issued.certificate(), "chain");
        assertEquals(List.of(issued.x509(), ca.caCertificate()), chain);
        PrivateKey key = PemFiles.privateKey(issued.privateKey(), "key");
        assertEquals(type.name(), key.getAlgorithm());
        PemFiles.checkPair(chain.getFirst(), key, "chain", "key");
    }

    @Test
    void readsRsaKeysInPkcs8AndPkcs1Form() throws Exception {
        readsKeyAndChain(KeyType.RSA, KeyForm.PKCS8, "PRIVATE KEY");
        readsKeyAndChain(KeyType.RSA, KeyForm.TRADITIONAL, "RSA PRIVATE KEY");
    }

    @Test
    void readsEcKeysInPkcs8AndSec1Form() throws Exception {
        readsKeyAndChain(KeyType.EC, KeyForm.PKCS8, "PRIVATE KEY");
        readsKeyAndChain(KeyType.EC, KeyForm.TRADITIONAL, "EC PRIVATE KEY");
    }

    @Test
    void refusesAKeyOfAnotherCertificateAndGarbage() throws Exception {
        TestCertificates ca = TestCertificates.authority(dir, "PemFilesTest CA");
        Issued one = ca.issue(dir, "one", "one.test", KeyType.EC, KeyForm.PKCS8);
        Issued two = ca.issue(dir, "two", "two.test", KeyType.EC, KeyForm.PKCS8);
        PrivateKey otherKey = PemFiles.privateKey(two.privateKey(), "key");
        var mismatch = assertThrows(
                StartupChecks.StartupException.class, () -> PemFiles.checkPair(one.x509(), otherKey, "chain", "key"));
        assertTrue(mismatch.getMessage().contains("does not belong"), mismatch.getMessage());

        Path garbage = Files.writeString(dir.resolve("garbage.pem"), "-----BEGIN PRIVATE KEY-----\nnot base64!\n");
        var unreadable =
                assertThrows(StartupChecks.StartupException.class, () -> PemFiles.privateKey(garbage, "the.key"));
        assertTrue(unreadable.getMessage().startsWith("the.key: "), unreadable.getMessage());
    }
}
