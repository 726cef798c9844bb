package io.lumadb.cli;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A pseudo-terminal for the shell: a tmux server of its own (its own socket), one window running
 * {@code bin/lumadb shell}, keys sent with send-keys and the screen read with capture-pane.
 */
final class Tmux implements AutoCloseable {
    private final CliFixture f;
    private final String socket;

    Tmux(CliFixture f) {
        this.f = f;
        this.socket = f.dir.resolve("tmux.sock").toString();
    }

    /** Runs {@code bin/lumadb args...} in a fresh terminal of 160x50; "[exited]" shows when it ends. */
    void start(String... args) throws IOException, InterruptedException {
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : f.env().entrySet()) {
            env.add(e.getKey() + "='" + e.getValue() + "'");
        }
        String command = "env HOME='" + f.home + "' XDG_STATE_HOME='" + f.home.resolve(".state") + "' XDG_CONFIG_HOME='"
                + f.home.resolve(".config") + "' " + String.join(" ", env) + " '" + CliFixture.script() + "' '"
                + String.join("' '", args)
                + "'; echo '[exited]'; sleep 600";
        tmux("new-session", "-d", "-x", "160", "-y", "50", command);
    }

    void keys(String... keys) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("send-keys", "-t", "0"));
        args.addAll(List.of(keys));
        tmux(args.toArray(String[]::new));
    }

    String screen() throws IOException, InterruptedException {
        return tmux("capture-pane", "-p", "-t", "0", "-S", "-200");
    }

    String awaitScreen(String text) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String screen = "";
        while (System.nanoTime() < deadline) {
            screen = screen();
            if (screen.contains(text)) {
                return screen;
            }
            Thread.sleep(100);
        }
        fail("the shell never showed '" + text + "'; the screen:\n" + screen);
        return screen;
    }

    private String tmux(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("tmux", "-S", socket));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("tmux " + String.join(" ", args) + " failed: " + out);
        }
        return out;
    }

    @Override
    public void close() {
        try {
            new ProcessBuilder("tmux", "-S", socket, "kill-server")
                    .redirectErrorStream(true)
                    .start()
                    .waitFor(30, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            // the server is gone already
        }
    }
}
