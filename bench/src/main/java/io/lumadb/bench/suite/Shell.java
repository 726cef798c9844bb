package io.lumadb.bench.suite;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short external commands (taskset, pgrep) and returns what they printed. */
final class Shell {

    private Shell() {}

    /** The result of a command: its exit code and its merged output. */
    record Result(int exit, String output) {
        boolean ok() {
            return exit == 0;
        }
    }

    static Result run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("command timed out: " + String.join(" ", command));
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8).trim());
    }

    static Result run(String... command) throws IOException, InterruptedException {
        return run(List.of(command));
    }

    static boolean exists(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            if (java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** The CPUs this process may run on, from taskset, or an empty list when it cannot tell. */
    static List<Integer> allowedCpus() throws IOException, InterruptedException {
        List<Integer> cpus = new ArrayList<>();
        if (!exists("taskset")) {
            return cpus;
        }
        Result r = run("taskset", "-pc", Long.toString(ProcessHandle.current().pid()));
        String list = r.output().replaceAll(".*list:\\s*", "").trim();
        for (String part : list.split(",")) {
            if (part.isBlank()) {
                continue;
            }
            String[] range = part.trim().split("-");
            int from = Integer.parseInt(range[0]);
            int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
            for (int c = from; c <= to; c++) {
                cpus.add(c);
            }
        }
        return cpus;
    }
}
