package io.lumadb.bench.timeseries;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class QuestDbServerTest {

    @TempDir
    Path dir;

    @Test
    void listensOnlyOverHttpOnLoopbackAndReportsNothing() {
        String conf = QuestDbServer.serverConf(19_001);
        assertTrue(conf.contains("\nhttp.bind.to=127.0.0.1:19001\n"), conf);
        for (String off : List.of(
                "http.min.enabled", "pg.enabled", "line.tcp.enabled", "line.udp.enabled", "telemetry.enabled")) {
            assertTrue(conf.contains("\n" + off + "=false\n"), off + " in " + conf);
        }
    }

    @Test
    void picksAJdk17BeforeA21AndReadsTheirReleaseFiles() throws Exception {
        Path jvms = dir.resolve("jvm");
        jdk(jvms.resolve("temurin-25"), "25.0.1");
        jdk(jvms.resolve("jdk-21"), "21.0.2");
        jdk(jvms.resolve("java-17-openjdk"), "17.0.15");
        jdk(jvms.resolve("java-8"), "1.8.0_392");
        assertEquals(17, QuestDbServer.feature(jvms.resolve("java-17-openjdk")));
        assertEquals(8, QuestDbServer.feature(jvms.resolve("java-8")));
        assertEquals(-1, QuestDbServer.feature(dir.resolve("missing")));
        assertEquals(jvms.resolve("java-17-openjdk/bin/java"), QuestDbServer.java(null, List.of(jvms)));
        Path given = dir.resolve("my/java");
        assertEquals(given, QuestDbServer.java(given, List.of(jvms)));
    }

    private static void jdk(Path home, String version) throws Exception {
        Files.createDirectories(home.resolve("bin"));
        Path java = Files.writeString(home.resolve("bin/java"), "#!/bin/sh\n");
        java.toFile().setExecutable(true);
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"x\"\nJAVA_VERSION=\"" + version + "\"\n");
    }
}
