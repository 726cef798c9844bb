package io.lumadb.bench.vector;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * A quick profile of a node while it answers searches: Java Flight Recorder's execution samples
 * (started and stopped with {@code jcmd}), summed up as the share of samples in which each of
 * LumaDB's methods was on the stack (inclusive: LumaDB's part and the libraries it calls, such as
 * Lucene's search under {@code ShardSearchIndex.knn}) and the methods most often at the top of it
 * (self, any library's). It tells where a search's CPU time goes without guessing.
 */
public final class NodeProfile {

    private static final String NAME = "lumadb-vector-bench";

    /**
     * A profile's summary.
     *
     * @param samples execution samples of the node's Java threads
     * @param inclusive method to share of samples with it on the stack, LumaDB's, most first
     * @param self method to share of samples with it on top of the stack, most first
     */
    public record Summary(int samples, List<Share> inclusive, List<Share> self) {
        public Summary {
            inclusive = List.copyOf(inclusive);
            self = List.copyOf(self);
        }
    }

    /** A method and its share of the samples (0..1). */
    public record Share(String method, double share) {}

    private NodeProfile() {}

    /** Starts recording {@code pid} with the JDK's profiling settings; false (and no recording) if jcmd fails. */
    public static boolean start(long pid) {
        return jcmd(pid, "JFR.start", "name=" + NAME, "settings=profile");
    }

    /** Stops the recording and writes it to {@code file}; false if jcmd fails. */
    public static boolean stop(long pid, Path file) {
        return jcmd(pid, "JFR.stop", "name=" + NAME, "filename=" + file.toAbsolutePath());
    }

    private static boolean jcmd(long pid, String... command) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
        cmd.add(Long.toString(pid));
        cmd.addAll(List.of(command));
        try {
            Process p = new ProcessBuilder(cmd)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Sums up the execution samples of {@code recording}: the top {@code top} methods of each list. */
    public static Summary summarize(Path recording, int top) throws IOException {
        Map<String, Integer> inclusive = new HashMap<>();
        Map<String, Integer> self = new HashMap<>();
        int samples = 0;
        try (RecordingFile file = new RecordingFile(recording)) {
            while (file.hasMoreEvents()) {
                RecordedEvent e = file.readEvent();
                if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) {
                    continue;
                }
                List<RecordedFrame> frames = e.getStackTrace().getFrames();
                if (frames.isEmpty()) {
                    continue;
                }
                samples++;
                self.merge(name(frames.get(0)), 1, Integer::sum);
                Set<String> seen = new HashSet<>();
                for (RecordedFrame f : frames) {
                    String n = name(f);
                    if (n.startsWith("io.lumadb.")
                            && !n.contains("$$Lambda")
                            && !n.contains(".lambda$")
                            && seen.add(n)) {
                        inclusive.merge(n, 1, Integer::sum);
                    }
                }
            }
        }
        return new Summary(samples, shares(inclusive, samples, top), shares(self, samples, top));
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static List<Share> shares(Map<String, Integer> counts, int samples, int top) {
        return counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .limit(top)
                .map(e -> new Share(e.getKey(), (double) e.getValue() / samples))
                .toList();
    }
}
