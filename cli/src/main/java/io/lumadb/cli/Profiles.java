package io.lumadb.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The profile file, {@code $XDG_CONFIG_HOME/lumadb/config} (by default {@code
 * ~/.config/lumadb/config}): named sections of {@code key = value} lines, like git's and AWS's
 * configuration files. Keys: {@code url}, {@code user}, {@code password}, {@code api-key}, {@code
 * ca-cert}. Lines starting with {@code #} or {@code ;} are comments.
 *
 * <pre>
 * [default]
 * url = http://127.0.0.1:8080
 * user = admin
 * password = secret
 *
 * [prod]
 * url = https://db.example.com:8443
 * api-key = luma_...
 * ca-cert = /etc/lumadb/ca.pem
 * </pre>
 */
final class Profiles {
    static final List<String> KEYS = List.of("url", "user", "password", "api-key", "ca-cert");

    private final Path file;
    private final Map<String, Map<String, String>> sections;

    private Profiles(Path file, Map<String, Map<String, String>> sections) {
        this.file = file;
        this.sections = sections;
    }

    /** Where the profile file is for this environment (whether or not it exists). */
    static Path location(Map<String, String> env) {
        String xdg = env.get("XDG_CONFIG_HOME");
        Path config =
                xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return config.resolve("lumadb").resolve("config");
    }

    /** The profiles of {@code file}; none if it does not exist. A malformed file is an error naming its line. */
    static Profiles load(Path file) {
        Map<String, Map<String, String>> sections = new HashMap<>();
        if (!Files.isRegularFile(file)) {
            return new Profiles(file, sections);
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new CliException(ExitCodes.USAGE, "cannot read the profile file " + file + ": " + e.getMessage());
        }
        Map<String, String> current = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith(";")) {
                continue;
            }
            if (line.startsWith("[") && line.endsWith("]")) {
                current = sections.computeIfAbsent(
                        line.substring(1, line.length() - 1).strip(), k -> new LinkedHashMap<>());
                continue;
            }
            int eq = line.indexOf('=');
            if (current == null || eq < 1) {
                throw new CliException(
                        ExitCodes.USAGE,
                        file + " line " + (i + 1) + ": expected '[profile]' or 'key = value', found: " + line);
            }
            String key = line.substring(0, eq).strip();
            if (!KEYS.contains(key)) {
                throw new CliException(
                        ExitCodes.USAGE,
                        file + " line " + (i + 1) + ": unknown key '" + key + "' (known: " + KEYS + ")");
            }
            current.put(key, line.substring(eq + 1).strip());
        }
        return new Profiles(file, sections);
    }

    Path file() {
        return file;
    }

    boolean has(String profile) {
        return sections.containsKey(profile);
    }

    /** The settings of {@code profile}, empty if it is not in the file. */
    Map<String, String> get(String profile) {
        return sections.getOrDefault(profile, Map.of());
    }

    /** Whether others than the owner may read the file (then a password in it is not private). */
    boolean readableByOthers() {
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            return permissions.contains(PosixFilePermission.GROUP_READ)
                    || permissions.contains(PosixFilePermission.OTHERS_READ);
        } catch (IOException | UnsupportedOperationException e) {
            return false;
        }
    }
}
