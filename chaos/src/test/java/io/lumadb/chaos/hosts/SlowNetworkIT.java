package io.lumadb.chaos.hosts;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A slow network between two network namespaces joined by a veth pair, measured the way a node
 * would feel it: TCP round trips to an echo server and UDP datagrams that come back or not. The
 * fault is put on the server's side only, so each round trip crosses it once. Needs root.
 */
@Tag("services")
@Timeout(120)
class SlowNetworkIT {

    private static final String PREFIX = "lcx-t" + ProcessHandle.current().pid();
    private static final String SERVER_NS = PREFIX + "-a";
    private static final String CLIENT_NS = PREFIX + "-b";
    // Interface names have at most 15 characters.
    private static final String SERVER_DEVICE = "lcx" + ProcessHandle.current().pid() + "a";
    private static final String CLIENT_DEVICE = "lcx" + ProcessHandle.current().pid() + "b";
    private static final String SERVER_IP = "10.213.1.1";
    private static final String CLIENT_IP = "10.213.1.2";
    private static final String PORT = "7000";

    /** Echoes TCP streams and UDP datagrams on one port; says "listening" once both are bound. */
    private static final String SERVER = """
        import socket, sys, threading
        host, port = sys.argv[1], int(sys.argv[2])
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        udp.bind((host, port))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind((host, port))
        tcp.listen(16)
        def echo_udp():
            while True:
                data, peer = udp.recvfrom(2048)
                udp.sendto(data, peer)
        def echo_tcp(conn):
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with conn:
                while data := conn.recv(4096):
                    conn.sendall(data)
        threading.Thread(target=echo_udp, daemon=True).start()
        print("listening", flush=True)
        while True:
            conn, _ = tcp.accept()
            threading.Thread(target=echo_tcp, args=(conn,), daemon=True).start()
        """;

    /**
     * {@code tcp N}: N round trips of 32 bytes on one connection, one RTT in ms per line.
     * {@code udp N}: N datagrams one after the other, each waited for up to 300 ms; its RTT or
     * "lost" per line. {@code burst N}: N datagrams at once, "sent", then the number that came
     * back before 1.5 s passed without one.
     */
    private static final String CLIENT = """
        import socket, sys, time
        mode, host, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        if mode == "tcp":
            s = socket.create_connection((host, port), timeout=10)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            for i in range(count):
                message = b"%031d\\n" % i
                start = time.monotonic()
                s.sendall(message)
                received = b""
                while len(received) < len(message):
                    received += s.recv(len(message) - len(received))
                print("%.3f" % ((time.monotonic() - start) * 1000), flush=True)
        elif mode == "udp":
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.connect((host, port))
            for i in range(count):
                message = b"%d" % i
                start = time.monotonic()
                s.send(message)
                answer = None
                while answer != message:
                    left = start + 0.3 - time.monotonic()
                    if left <= 0:
                        break
                    s.settimeout(left)
                    try:
                        answer = s.recv(64)
                    except socket.timeout:
                        break
                print("%.3f" % ((time.monotonic() - start) * 1000) if answer == message else "lost", flush=True)
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            s.connect((host, port))
            for i in range(count):
                s.send(b"%d" % i)
            print("sent", flush=True)
            s.settimeout(1.5)
            got = 0
            try:
                while True:
                    s.recv(64)
                    got += 1
            except socket.timeout:
                pass
            print(got, flush=True)
        """;

    @TempDir
    static Path work;

    private static Process server;
    private static SlowNetwork slowNetwork;

    @BeforeAll
    static void twoNamespacesAndAnEchoServer() throws Exception {
        assumeTrue(
                Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid")),
                "a slow network needs root (network namespaces, iptables); run the tests as root");
        sh("ip", "netns", "add", SERVER_NS);
        sh("ip", "netns", "add", CLIENT_NS);
        sh("ip", "link", "add", SERVER_DEVICE, "type", "veth", "peer", "name", CLIENT_DEVICE);
        sh("ip", "link", "set", SERVER_DEVICE, "netns", SERVER_NS);
        sh("ip", "link", "set", CLIENT_DEVICE, "netns", CLIENT_NS);
        sh("ip", "-n", SERVER_NS, "addr", "add", SERVER_IP + "/24", "dev", SERVER_DEVICE);
        sh("ip", "-n", CLIENT_NS, "addr", "add", CLIENT_IP + "/24", "dev", CLIENT_DEVICE);
        for (String[] end : new String[][] {{SERVER_NS, SERVER_DEVICE}, {CLIENT_NS, CLIENT_DEVICE}}) {
            sh("ip", "-n", end[0], "link", "set", "lo", "up");
            sh("ip", "-n", end[0], "link", "set", end[1], "up");
        }
        server = new ProcessBuilder("ip", "netns", "exec", SERVER_NS, "python3", "-c", SERVER, SERVER_IP, PORT)
                .redirectErrorStream(true)
                .start();
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        String first = out.readLine();
        assertEquals("listening", first, "the echo server did not start");
        slowNetwork = SlowNetwork.prepare(work.resolve("slow-network"));
    }

    @AfterAll
    static void removeNamespaces() throws Exception {
        if (server != null) {
            server.destroyForcibly();
            server.waitFor(10, TimeUnit.SECONDS);
        }
        // Deleting a namespace deletes the veth end inside it, and with it the peer.
        run("ip", "netns", "del", SERVER_NS);
        run("ip", "netns", "del", CLIENT_NS);
        run("ip", "link", "del", SERVER_DEVICE);
    }

    @Test
    void delaysEachRoundTripByTheDelayWithinTheJitterAndHealsCompletely() throws Exception {
        double before = median(tcpRoundTrips(50));
        assertTrue(before < 10, "round trips between the namespaces take " + before + " ms before the fault");

        List<Double> slowed;
        try (SlowNetwork.Handle fault =
                slowNetwork.apply(SERVER_NS, SERVER_DEVICE, Duration.ofMillis(50), Duration.ofMillis(10), 0, 42)) {
            slowed = tcpRoundTrips(30);
            System.out.println("slow network: measured under " + fault.description());
        }
        double during = median(slowed);
        System.out.printf(
                "slow network (%s): median RTT %.3f ms before, %.3f ms with 50 ms ± 10 ms (min %.3f, max %.3f)%n",
                slowNetwork.usesNetem() ? "netem" : "delay line",
                before,
                during,
                slowed.stream().mapToDouble(d -> d).min().orElseThrow(),
                slowed.stream().mapToDouble(d -> d).max().orElseThrow());
        assertTrue(during >= before + 40, "median RTT " + during + " ms with a 50 ms delay, " + before + " ms without");
        assertTrue(during < 120, "median RTT " + during + " ms with a 50 ms delay");
        assertTrue(
                slowed.stream().allMatch(rtt -> rtt >= 39),
                "every round trip crosses the delay once, so none is shorter than 50 - 10 ms: " + slowed);

        double after = median(tcpRoundTrips(50));
        System.out.printf("slow network: median RTT %.3f ms after healing%n", after);
        assertTrue(after < 10, "median RTT " + after + " ms after the fault was healed");
    }

    @Test
    void dropsAboutTheLossPercentOfDatagramsAndNoneOnceHealed() throws Exception {
        assertEquals(0, lost(udpEchoes(50)), "datagrams lost before the fault");

        List<String> answers;
        try (SlowNetwork.Handle fault =
                slowNetwork.apply(SERVER_NS, SERVER_DEVICE, Duration.ZERO, Duration.ZERO, 30, 7)) {
            answers = udpEchoes(200);
            System.out.println("slow network: measured under " + fault.description());
        }
        long lost = lost(answers);
        System.out.printf("slow network: %d of 200 echoes lost with 30 %% loss%n", lost);
        // 30 % of 200 is 60, with a standard deviation of 6.5: 30..90 is far outside chance.
        assertTrue(lost >= 30 && lost <= 90, lost + " of 200 echoes lost with 30 % loss");

        assertEquals(0, lost(udpEchoes(50)), "datagrams lost after the fault was healed");
    }

    @Test
    void healingRemovesTheRulesAndStopsTheDelayLineAndClosingTwiceIsHarmless() throws Exception {
        SlowNetwork.Handle fault =
                slowNetwork.apply(SERVER_NS, SERVER_DEVICE, Duration.ofMillis(20), Duration.ZERO, 1, 3);
        try {
            if (slowNetwork.usesNetem()) {
                assertTrue(sh("ip", "netns", "exec", SERVER_NS, "tc", "qdisc", "show", "dev", SERVER_DEVICE)
                        .contains("netem"));
            } else {
                assertTrue(rules().contains(SlowNetwork.CHAIN), "no rule while the fault is on: " + rules());
                assertEquals(1, delayLines().size(), "delay lines in the namespace while the fault is on");
            }
        } finally {
            fault.close();
        }
        assertFalse(rules().contains(SlowNetwork.CHAIN), "rules left after healing: " + rules());
        assertFalse(rules().contains("NFQUEUE"), "rules left after healing: " + rules());
        assertFalse(sh("ip", "netns", "exec", SERVER_NS, "tc", "qdisc", "show", "dev", SERVER_DEVICE)
                .contains("netem"));
        assertEquals(List.of(), delayLines(), "delay lines left in the namespace after healing");
        assertDoesNotThrow(fault::close);
    }

    @Test
    void refusesASecondFaultOnTheSameNamespaceAndLeavesTheFirstAsItWas() throws Exception {
        try (SlowNetwork.Handle first =
                slowNetwork.apply(SERVER_NS, SERVER_DEVICE, Duration.ofMillis(30), Duration.ZERO, 0, 1)) {
            System.out.println("slow network: first fault " + first.description());
            String rulesBefore = rules();
            IllegalStateException refused = assertThrows(
                    IllegalStateException.class,
                    () -> slowNetwork.apply(SERVER_NS, SERVER_DEVICE, Duration.ofMillis(80), Duration.ZERO, 0, 2));
            System.out.println("slow network: a second fault was refused: " + refused.getMessage());
            assertEquals(rulesBefore, rules());
            if (!slowNetwork.usesNetem()) {
                assertEquals(1, delayLines().size(), "delay lines in the namespace");
            }
            double during = median(tcpRoundTrips(10));
            assertTrue(during >= 28 && during < 70, "median RTT " + during + " ms under the first fault (30 ms)");
        }
        assertEquals(List.of(), delayLines(), "delay lines left in the namespace after healing");
    }

    @Test
    void packetsHeldWhenTheFaultIsHealedAreSentRatherThanLost() throws Exception {
        assumeFalse(slowNetwork.usesNetem(), "netem drops what it holds when its qdisc is deleted");
        // Three seconds is twice as long as the client waits for an echo: only healing can bring them back.
        SlowNetwork.Handle fault =
                slowNetwork.apply(SERVER_NS, SERVER_DEVICE, Duration.ofSeconds(3), Duration.ZERO, 0, 5);
        Process client = null;
        try {
            client = new ProcessBuilder(
                            "ip", "netns", "exec", CLIENT_NS, "python3", "-c", CLIENT, "burst", SERVER_IP, PORT, "50")
                    .redirectErrorStream(true)
                    .start();
            BufferedReader out =
                    new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("sent", out.readLine());
            Thread.sleep(300);
            fault.close();
            assertEquals("50", out.readLine(), "echoes that came back once the fault was healed");
        } finally {
            fault.close();
            if (client != null) {
                client.destroyForcibly();
                client.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void leavesNothingBehindWhenItFailsHalfWay() throws Exception {
        assumeFalse(slowNetwork.usesNetem(), "netem is one command, so it cannot fail half-way");
        // An IPv6 chain in the way: the delay line is running and the IPv4 chain made when this fails.
        sh("ip", "netns", "exec", SERVER_NS, "ip6tables", "-N", SlowNetwork.CHAIN);
        try {
            IllegalStateException failed = assertThrows(
                    IllegalStateException.class,
                    () -> slowNetwork.apply(SERVER_NS, SERVER_DEVICE, Duration.ofMillis(10), Duration.ZERO, 0, 9));
            System.out.println("slow network: failed half-way as it should: " + failed.getMessage());
            String ipv4 = sh("ip", "netns", "exec", SERVER_NS, "iptables", "-S");
            assertFalse(ipv4.contains(SlowNetwork.CHAIN), "IPv4 rules left after a failed apply: " + ipv4);
            assertEquals(List.of(), delayLines(), "delay lines left after a failed apply");
        } finally {
            run("ip", "netns", "exec", SERVER_NS, "ip6tables", "-X", SlowNetwork.CHAIN);
        }
        assertTrue(median(tcpRoundTrips(10)) < 10, "round trips are slow after a failed apply");
    }

    private static List<Double> tcpRoundTrips(int count) throws Exception {
        return client("tcp", count).stream().map(Double::parseDouble).toList();
    }

    private static List<String> udpEchoes(int count) throws Exception {
        return client("udp", count);
    }

    private static long lost(List<String> answers) {
        return answers.stream().filter("lost"::equals).count();
    }

    private static List<String> client(String mode, int count) throws Exception {
        String out = sh(
                "ip",
                "netns",
                "exec",
                CLIENT_NS,
                "python3",
                "-c",
                CLIENT,
                mode,
                SERVER_IP,
                PORT,
                Integer.toString(count));
        List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
        assertEquals(count, lines.size(), "client output: " + out);
        return lines;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    /** The IPv4 and IPv6 rules in the server's namespace. */
    private static String rules() throws Exception {
        return sh("ip", "netns", "exec", SERVER_NS, "iptables", "-S")
                + sh("ip", "netns", "exec", SERVER_NS, "ip6tables", "-S");
    }

    /** The delay line processes running in the server's namespace. */
    private static List<Long> delayLines() throws Exception {
        List<Long> found = new ArrayList<>();
        for (String pid : sh("ip", "netns", "pids", SERVER_NS).split("\\s+")) {
            if (pid.isBlank()) {
                continue;
            }
            try {
                if (Files.readString(Path.of("/proc", pid, "comm")).strip().equals("delayline")) {
                    found.add(Long.parseLong(pid));
                }
            } catch (IOException gone) {
                // It exited between the listing and the look.
            }
        }
        return found;
    }

    private static String sh(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), String.join(" ", command) + " did not end");
        assertEquals(0, p.exitValue(), String.join(" ", command) + ": " + out);
        return out;
    }

    /** Like {@link #sh} for cleanup: what fails is not an error. */
    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        p.waitFor(60, TimeUnit.SECONDS);
    }
}
