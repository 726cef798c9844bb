package io.lumadb.bench.timeseries;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * TSBS-shaped "cpu-only" data as InfluxDB line protocol, the same bytes for the same settings and
 * seed on every JVM: measurement {@code cpu}, the 10 tags of TSBS's simulated hosts, the 10 {@code
 * usage_*} float fields, one row per host every interval, rows of one instant for every host
 * before the next instant (as TSBS writes them), timestamps in nanoseconds.
 *
 * <p>Like TSBS, each field of each host is a random walk with standard-normal steps clamped to [0,
 * 100] from a uniformly random start, so consecutive values are close, as real metrics are, and
 * compress like them; TSBS's uniformly random choices pick each host's region, datacenter, rack,
 * OS, architecture, team, service, version and environment. Values are written with one decimal
 * (a percentage as {@code top} shows it); the walk itself keeps full precision.
 *
 * <p>While writing, it keeps the answer of the section's window aggregate (mean and max of {@code
 * usage_user} per host and window) computed directly from the values written: an independent
 * reference for both systems' answers.
 */
public final class CpuData {

    /** The TSBS cpu-only tags, in the order TSBS writes them. */
    public static final List<String> TAGS = List.of(
            "hostname",
            "region",
            "datacenter",
            "rack",
            "os",
            "arch",
            "team",
            "service",
            "service_version",
            "service_environment");

    /** The TSBS cpu fields, in the order TSBS writes them. */
    public static final List<String> FIELDS = List.of(
            "usage_user",
            "usage_system",
            "usage_idle",
            "usage_nice",
            "usage_iowait",
            "usage_irq",
            "usage_softirq",
            "usage_steal",
            "usage_guest",
            "usage_guest_nice");

    /** TSBS's start of time: 2016-01-01T00:00:00Z, in nanoseconds. */
    public static final long TSBS_START = TimeUnit.SECONDS.toNanos(1_451_606_400L);

    /** TSBS's interval between two rows of a host. */
    public static final long TEN_SECONDS = TimeUnit.SECONDS.toNanos(10);

    private static final String[][] REGIONS = {
        {"us-east-1", "us-east-1a", "us-east-1b", "us-east-1c", "us-east-1e"},
        {"us-west-1", "us-west-1a", "us-west-1b"},
        {"us-west-2", "us-west-2a", "us-west-2b", "us-west-2c"},
        {"eu-west-1", "eu-west-1a", "eu-west-1b", "eu-west-1c"},
        {"eu-central-1", "eu-central-1a", "eu-central-1b"},
        {"ap-southeast-1", "ap-southeast-1a", "ap-southeast-1b"},
        {"ap-southeast-2", "ap-southeast-2a", "ap-southeast-2b"},
        {"ap-northeast-1", "ap-northeast-1a", "ap-northeast-1c"},
        {"sa-east-1", "sa-east-1a", "sa-east-1b", "sa-east-1c"}
    };
    private static final String[] OS = {"Ubuntu16.10", "Ubuntu16.04LTS", "Ubuntu15.10"};
    private static final String[] ARCH = {"x64", "x86"};
    private static final String[] TEAM = {"SF", "NYC", "LON", "CHI"};
    private static final String[] ENVIRONMENT = {"production", "staging", "test"};

    /**
     * What to generate.
     *
     * @param seed the seed of every random choice and step
     * @param hosts simulated hosts (series)
     * @param rowsPerHost rows of each host
     * @param start the first row's time, in ns
     * @param interval time between two rows of a host, in ns
     * @param window the window of the reference aggregate, in ns
     */
    public record Settings(long seed, int hosts, int rowsPerHost, long start, long interval, long window) {
        public Settings {
            if (hosts < 1) {
                throw new IllegalArgumentException("hosts must be at least 1, was " + hosts);
            }
            if (rowsPerHost < 1) {
                throw new IllegalArgumentException("rowsPerHost must be at least 1, was " + rowsPerHost);
            }
            if (interval < 1 || window < interval || window % interval != 0) {
                throw new IllegalArgumentException(
                        "interval must be positive and window a multiple of it, were " + interval + " and " + window);
            }
            if (start % window != 0) {
                throw new IllegalArgumentException(
                        "start must be a multiple of the window (windows are aligned to the epoch), was " + start);
            }
        }

        public long rows() {
            return (long) hosts * rowsPerHost;
        }

        /** The end of the data, exclusive: one interval after the last row. */
        public long end() {
            return start + rowsPerHost * interval;
        }

        int windows() {
            return (int) ((end() - start + window - 1) / window);
        }
    }

    /** One host's tag values, in {@link #TAGS} order. */
    public record Host(List<String> tags) {
        public Host {
            tags = List.copyOf(tags);
        }

        public String hostname() {
            return tags.get(0);
        }
    }

    private final Settings settings;
    private final List<Host> hosts;
    private final byte[][] seriesKeys;
    private final double[][] walk;
    private final Random random;
    private final double[][] sum;
    private final double[][] max;
    private boolean written;

    public CpuData(Settings settings) {
        this.settings = settings;
        this.random = new Random(settings.seed());
        List<Host> hs = new ArrayList<>(settings.hosts());
        for (int h = 0; h < settings.hosts(); h++) {
            String[] region = REGIONS[random.nextInt(REGIONS.length)];
            hs.add(new Host(List.of(
                    "host_" + h,
                    region[0],
                    region[1 + random.nextInt(region.length - 1)],
                    Integer.toString(random.nextInt(100)),
                    OS[random.nextInt(OS.length)],
                    ARCH[random.nextInt(ARCH.length)],
                    TEAM[random.nextInt(TEAM.length)],
                    Integer.toString(random.nextInt(20)),
                    Integer.toString(random.nextInt(2)),
                    ENVIRONMENT[random.nextInt(ENVIRONMENT.length)])));
        }
        this.hosts = List.copyOf(hs);
        this.seriesKeys = new byte[hosts.size()][];
        for (int h = 0; h < hosts.size(); h++) {
            StringBuilder key = new StringBuilder("cpu");
            for (int t = 0; t < TAGS.size(); t++) {
                key.append(',')
                        .append(TAGS.get(t))
                        .append('=')
                        .append(hosts.get(h).tags().get(t));
            }
            seriesKeys[h] = key.append(' ').toString().getBytes(StandardCharsets.US_ASCII);
        }
        this.walk = new double[hosts.size()][FIELDS.size()];
        for (double[] fields : walk) {
            for (int f = 0; f < fields.length; f++) {
                fields[f] = random.nextDouble() * 100;
            }
        }
        this.sum = new double[hosts.size()][settings.windows()];
        this.max = new double[hosts.size()][settings.windows()];
        for (double[] m : max) {
            java.util.Arrays.fill(m, Double.NEGATIVE_INFINITY);
        }
    }

    public Settings settings() {
        return settings;
    }

    public List<Host> hosts() {
        return hosts;
    }

    /** Writes every row to {@code file}; returns its size in bytes. Can be called once. */
    public long writeTo(Path file) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            write(out);
        }
        return Files.size(file);
    }

    /** Writes every row to {@code out}, one line each, {@code \n}-terminated. Can be called once. */
    public void write(OutputStream out) throws IOException {
        if (written) {
            throw new IllegalStateException("the data was already written: make a new CpuData to write it again");
        }
        written = true;
        byte[] line = new byte[1024];
        for (int row = 0; row < settings.rowsPerHost(); row++) {
            long time = settings.start() + row * settings.interval();
            int window = (int) ((time - settings.start()) / settings.window());
            for (int h = 0; h < hosts.size(); h++) {
                int n = 0;
                byte[] key = seriesKeys[h];
                System.arraycopy(key, 0, line, 0, key.length);
                n += key.length;
                for (int f = 0; f < FIELDS.size(); f++) {
                    double v = Math.clamp(walk[h][f] + random.nextGaussian(), 0, 100);
                    walk[h][f] = v;
                    long tenths = Math.round(v * 10);
                    if (f == 0) {
                        double value = tenths / 10.0;
                        sum[h][window] += value;
                        max[h][window] = Math.max(max[h][window], value);
                    }
                    if (f > 0) {
                        line[n++] = ',';
                    }
                    n = ascii(FIELDS.get(f), line, n);
                    line[n++] = '=';
                    n = digits(tenths / 10, line, n);
                    line[n++] = '.';
                    line[n++] = (byte) ('0' + tenths % 10);
                }
                line[n++] = ' ';
                n = digits(time, line, n);
                line[n++] = '\n';
                out.write(line, 0, n);
            }
        }
    }

    /**
     * The mean and max of {@code usage_user} per host and window, from the values written, sorted by
     * host name and window; only after {@link #write}.
     */
    public List<Window> expectedWindows() {
        if (!written) {
            throw new IllegalStateException("the reference answer is known once the data was written");
        }
        List<Window> out = new ArrayList<>();
        long perWindow = settings.window() / settings.interval();
        for (int h = 0; h < hosts.size(); h++) {
            for (int w = 0; w < settings.windows(); w++) {
                long first = w * perWindow;
                long rows = Math.min(perWindow, settings.rowsPerHost() - first);
                out.add(new Window(
                        hosts.get(h).hostname(),
                        settings.start() + w * settings.window(),
                        sum[h][w] / rows,
                        max[h][w]));
            }
        }
        return Window.sorted(out);
    }

    private static int ascii(String s, byte[] to, int at) {
        for (int i = 0; i < s.length(); i++) {
            to[at++] = (byte) s.charAt(i);
        }
        return at;
    }

    private static int digits(long v, byte[] to, int at) {
        if (v == 0) {
            to[at] = '0';
            return at + 1;
        }
        int len = 0;
        for (long x = v; x > 0; x /= 10) {
            len++;
        }
        for (int i = at + len - 1; i >= at; i--) {
            to[i] = (byte) ('0' + v % 10);
            v /= 10;
        }
        return at + len;
    }
}
