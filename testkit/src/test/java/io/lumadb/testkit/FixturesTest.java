package io.lumadb.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fixtures' own behaviour that needs no node and no service. */
class FixturesTest {

    @TempDir
    Path dir;

    @Test
    void cleanupRunsEveryStepInOrderAndThrowsTheFirstFailureWithTheOthersSuppressed() {
        List<String> ran = new ArrayList<>();
        IOException first = new IOException("first");
        IllegalStateException second = new IllegalStateException("second");
        Exception thrown = assertThrows(
                Exception.class,
                () -> Cleanup.closeAll(
                        () -> ran.add("a"),
                        null,
                        () -> {
                            ran.add("b");
                            throw first;
                        },
                        () -> {
                            ran.add("c");
                            throw second;
                        },
                        () -> ran.add("d")));
        assertEquals(List.of("a", "b", "c", "d"), ran);
        assertSame(first, thrown);
        assertArrayEquals(new Throwable[] {second}, thrown.getSuppressed());
    }

    @Test
    void freePortsAreNeverHandedOutTwice() {
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 50; i++) {
            assertTrue(ports.add(Ports.free()), "a port handed out twice: " + ports);
        }
    }

    @Test
    void deleteRecursivelyRemovesATreeAndIgnoresWhatIsNotThere() throws IOException {
        Path tree = Files.createDirectories(dir.resolve("a/b/c"));
        Files.writeString(tree.resolve("f"), "x");
        TestFiles.deleteRecursively(dir.resolve("a"));
        assertFalse(Files.exists(dir.resolve("a")));
        TestFiles.deleteRecursively(dir.resolve("a"));
        TestFiles.deleteRecursively(null);
    }

    @Test
    void anAttemptOnAPortNobodyListensOnIsRefusedNotLost() {
        int port = Ports.free();
        TestHttp.Outcome outcome = TestHttp.attemptGet("http://127.0.0.1:" + port + "/health", Duration.ofSeconds(5));
        assertInstanceOf(TestHttp.Refused.class, outcome);
        AssertionError error = assertThrows(AssertionError.class, outcome::answer);
        assertTrue(error.getMessage().startsWith("connection refused"), error.getMessage());
    }

    @Test
    void rawHttpReadsAChunkedAnswer() throws IOException {
        String wire = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n";
        RawHttp.Answer answer = RawHttp.read(new ByteArrayInputStream(wire.getBytes(StandardCharsets.ISO_8859_1)));
        assertEquals(200, answer.status());
        assertEquals("application/json", answer.header("Content-Type"));
        assertEquals(1, answer.json().path("a").asInt());
    }

    @Test
    void rawHttpSaysMinusOneWhenTheConnectionClosedBeforeAStatusLine() throws IOException {
        assertEquals(-1, RawHttp.read(new ByteArrayInputStream(new byte[0])).status());
    }

    @Test
    void aMissingDistributionJarIsNamedWithHowToBuildIt() {
        String before = System.getProperty("lumadb.jar");
        System.setProperty("lumadb.jar", dir.resolve("missing.jar").toString());
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> new NodeProcess(dir));
            assertTrue(e.getMessage().contains("missing.jar"), e.getMessage());
        } finally {
            if (before == null) {
                System.clearProperty("lumadb.jar");
            } else {
                System.setProperty("lumadb.jar", before);
            }
        }
    }

    @Test
    void aNodeProcessStartedOnAJarThatIsNoNodeFailsWithItsLog() throws Exception {
        Path notANode = Files.writeString(dir.resolve("not-a-node.jar"), "not a jar");
        try (NodeProcess node =
                NodeProcess.builder(dir.resolve("data")).jar(notANode).build()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, node::start);
            assertTrue(e.getMessage().contains("exited with"), e.getMessage());
            assertEquals(1, node.starts());
            assertNotEquals(-1, node.pid());
            String log = Files.readString(node.log());
            assertTrue(log.startsWith("==== "), log);
            assertTrue(log.contains("-jar " + notANode), log);
        }
    }
}
