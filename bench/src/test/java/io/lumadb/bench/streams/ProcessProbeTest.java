package io.lumadb.bench.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessProbeTest {

    private static String output(String heapInfo, long bytesB, long bytesNode, long total) {
        return "9459:\nCommand executed successfully\n" + heapInfo
                + "\n num     #instances         #bytes  class name (module)\n"
                + "-------------------------------------------------------\n"
                + "   1:         58736        " + bytesB + "  [B (java.base@25.0.3)\n"
                + "   2:         28608        " + bytesNode
                + "  java.util.concurrent.ConcurrentHashMap$Node (java.base@25.0.3)\n"
                + "Total        305948       " + total + "\n";
    }

    @Test
    void readsZgcAndG1HeapInfoAndTheHistogramTotal() throws IOException {
        ProcessProbe.Heap z = ProcessProbe.parse(output(
                "ZHeap            used 58M, capacity 378M, max capacity 2048M\n Cache           320M (6)",
                6521112,
                1144320,
                21395920));
        assertEquals(58.0, z.usedMb());
        assertEquals(21395920, z.liveBytes());
        assertEquals(6521112, z.classes().get("[B")[1]);
        ProcessProbe.Heap g1 = ProcessProbe.parse(output(
                " garbage-first heap   total 262144K, used 10240K [0x0000000080000000, 0x0000000100000000)", 1, 1, 2));
        assertEquals(10.0, g1.usedMb());
    }

    @Test
    void ranksTheClassesThatGrew() throws IOException {
        ProcessProbe.Heap before = ProcessProbe.parse(output("ZHeap used 10M", 1000, 5000, 6000));
        ProcessProbe.Heap after = ProcessProbe.parse(output("ZHeap used 12M", 900, 8000, 8900));
        List<ProcessProbe.ClassDelta> growth = ProcessProbe.growth(before, after, 5);
        assertEquals(1, growth.size(), "byte arrays shrank: " + growth);
        assertEquals(
                "java.util.concurrent.ConcurrentHashMap$Node", growth.get(0).name());
        assertEquals(3000, growth.get(0).bytes());
    }

    @Test
    void failsOnOutputItCannotRead() {
        assertThrows(IOException.class, () -> ProcessProbe.parse("Could not attach to 123"));
    }

    @Test
    void readsItsOwnCpuTimeAndFileLimit() {
        double cpu = ProcessProbe.cpuSeconds(ProcessHandle.current().pid());
        assertTrue(cpu > 0, "this JVM has used some CPU: " + cpu);
        assertTrue(ProcessProbe.openFilesLimit() > 0);
    }
}
