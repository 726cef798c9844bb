package io.lumadb.tiering;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code lumadb.tiering} (see reference.conf). */
public record TieringSettings(
        List<Path> fragmentDirectories,
        long segmentBytes,
        Duration checkInterval,
        Duration sampleInterval,
        Duration scrubInterval,
        long hotCacheBytes,
        int segmentsPerStep,
        long scanPerStep,
        Duration stepTimeout,
        Duration fragmentTimeout,
        Duration orphanGrace,
        String coder) {

    public TieringSettings {
        fragmentDirectories = List.copyOf(fragmentDirectories);
        if (fragmentDirectories.size() != ColdStorage.FRAGMENTS) {
            throw new IllegalArgumentException("lumadb.tiering.fragment-directories must name 9 directories (or 1),"
                    + " got " + fragmentDirectories.size());
        }
        if (segmentBytes < 4096) {
            throw new IllegalArgumentException("lumadb.tiering.segment-bytes must be >= 4 KiB, was " + segmentBytes);
        }
        if (segmentsPerStep < 1 || scanPerStep < 1) {
            throw new IllegalArgumentException("lumadb.tiering.segments-per-step and scan-per-step must be >= 1");
        }
        if (!coder.equals("auto") && !coder.equals("isa-l") && !coder.equals("java")) {
            throw new IllegalArgumentException("lumadb.tiering.coder must be auto, isa-l or java, was '" + coder + "'");
        }
    }

    public static TieringSettings from(Config config) {
        Config c = config.getConfig("lumadb.tiering");
        List<String> dirs = c.getStringList("fragment-directories");
        List<Path> paths = new ArrayList<>();
        if (dirs.size() <= 1) {
            Path base = dirs.isEmpty()
                    ? Path.of(config.getString("lumadb.data-dir")).resolve("cold")
                    : Path.of(dirs.getFirst());
            for (int i = 0; i < ColdStorage.FRAGMENTS; i++) {
                paths.add(base.resolve(Integer.toString(i)));
            }
        } else {
            dirs.forEach(d -> paths.add(Path.of(d)));
        }
        return new TieringSettings(
                paths,
                c.getBytes("segment-bytes"),
                c.getDuration("check-interval"),
                c.getDuration("sample-interval"),
                c.getDuration("scrub-interval"),
                c.getBytes("hot-cache-bytes"),
                c.getInt("segments-per-step"),
                c.getLong("scan-per-step"),
                c.getDuration("step-timeout"),
                c.getDuration("fragment-timeout"),
                c.getDuration("orphan-grace"),
                c.getString("coder"));
    }
}
