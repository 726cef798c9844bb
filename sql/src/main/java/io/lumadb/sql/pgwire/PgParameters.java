package io.lumadb.sql.pgwire;

import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A connection's run-time parameters ({@code SET}, {@code SHOW}, {@code RESET}, and the startup
 * message's options): the ones PostgreSQL clients set or read, with the values LumaDB works
 * with. A value LumaDB cannot honour (another client encoding, a date style other than ISO) is
 * refused rather than silently ignored; settings that do not change answers here (search path,
 * timeouts of locks LumaDB does not take) are kept and shown as set. Custom parameters ({@code
 * app.tenant}) are kept as PostgreSQL keeps them.
 */
final class PgParameters {

    /** A change that the client is told of ({@code ParameterStatus}). */
    record Report(String name, String value) {}

    private record Known(
            String name, String initial, boolean reported, boolean readOnly, UnaryOperator<String> check) {}

    private static final Map<String, Known> KNOWN = new LinkedHashMap<>();

    private static void known(String name, String initial, boolean reported, UnaryOperator<String> check) {
        KNOWN.put(name.toLowerCase(Locale.ROOT), new Known(name, initial, reported, false, check));
    }

    private static void fixed(String name, String value, boolean reported) {
        KNOWN.put(name.toLowerCase(Locale.ROOT), new Known(name, value, reported, true, v -> v));
    }

    static {
        known("application_name", "", true, v -> v);
        known("client_encoding", "UTF8", true, PgParameters::encoding);
        known("DateStyle", "ISO, MDY", true, PgParameters::dateStyle);
        known("TimeZone", "UTC", true, PgParameters::timeZone);
        known("IntervalStyle", "postgres", true, v -> only(v, "IntervalStyle", "postgres"));
        known("standard_conforming_strings", "on", true, v -> only(v, "standard_conforming_strings", "on"));
        known("extra_float_digits", "1", false, v -> integer(v, "extra_float_digits", -15, 3));
        known("search_path", "\"$user\", public", false, v -> v);
        known("statement_timeout", "0", false, v -> v);
        known("lock_timeout", "0", false, v -> v);
        known("idle_in_transaction_session_timeout", "0", false, v -> v);
        known("client_min_messages", "notice", false, v -> v.toLowerCase(Locale.ROOT));
        known("bytea_output", "hex", false, v -> only(v, "bytea_output", "hex"));
        known("default_transaction_isolation", "read committed", false, v -> v.toLowerCase(Locale.ROOT));
        known("transaction_isolation", "read committed", false, v -> v.toLowerCase(Locale.ROOT));
        known("default_transaction_read_only", "off", true, v -> v);
        known("transaction_read_only", "off", false, v -> v);
        known("lc_messages", "C", false, v -> v);
        known("lc_monetary", "C", false, v -> v);
        known("lc_numeric", "C", false, v -> v);
        known("lc_time", "C", false, v -> v);
        known("row_security", "on", false, v -> v);
        known("jit", "off", false, v -> v);
        known("work_mem", "4MB", false, v -> v);
        fixed("server_version", "16.0", true);
        fixed("server_version_num", "160000", false);
        fixed("server_encoding", "UTF8", true);
        fixed("integer_datetimes", "on", true);
        fixed("in_hot_standby", "off", true);
        fixed("is_superuser", "off", true);
        fixed("session_authorization", "", true);
        fixed("max_identifier_length", "63", false);
        fixed("block_size", "8192", false);
    }

    private final Map<String, String> values = new LinkedHashMap<>();
    private final Map<String, String> fixedValues = new LinkedHashMap<>();

    /** @param serverVersion what {@code server_version} says; {@code user}, whether it is a superuser */
    PgParameters(String serverVersion, String user, boolean superuser) {
        fixedValues.put("server_version", serverVersion);
        fixedValues.put("session_authorization", user);
        fixedValues.put("is_superuser", superuser ? "on" : "off");
    }

    /** The parameters reported when a connection starts, with their values. */
    List<Report> reported() {
        List<Report> reports = new ArrayList<>();
        for (Known k : KNOWN.values()) {
            if (k.reported()) {
                reports.add(new Report(k.name(), get(k.name())));
            }
        }
        return reports;
    }

    /** The value of {@code name}; SQLSTATE {@code 42704} for a parameter nobody set that LumaDB does not know. */
    String get(String name) {
        String key = name.toLowerCase(Locale.ROOT);
        String fixed = fixedValues.get(key);
        if (fixed != null) {
            return fixed;
        }
        String value = values.get(key);
        if (value != null) {
            return value;
        }
        Known k = KNOWN.get(key);
        if (k != null) {
            return k.initial();
        }
        throw unrecognized(name);
    }

    /** All parameters, as {@code SHOW ALL} lists them: name and value. */
    List<String[]> all() {
        List<String[]> rows = new ArrayList<>();
        for (Known k : KNOWN.values()) {
            rows.add(new String[] {k.name(), get(k.name())});
        }
        values.forEach((key, value) -> {
            if (!KNOWN.containsKey(key)) {
                rows.add(new String[] {key, value});
            }
        });
        return rows;
    }

    /** Sets {@code name} (null: back to its initial value); answers the report to send, if any. */
    Report set(String name, String value) {
        String key = name.toLowerCase(Locale.ROOT);
        Known k = KNOWN.get(key);
        if (k == null) {
            if (!key.contains(".")) {
                throw unrecognized(name);
            }
            if (value == null) {
                values.remove(key);
            } else {
                values.put(key, value);
            }
            return null;
        }
        if (k.readOnly()) {
            throw PgError.error("55P02", "parameter \"" + key + "\" cannot be changed");
        }
        String checked = value == null ? k.initial() : k.check().apply(value);
        values.put(key, checked);
        return k.reported() ? new Report(k.name(), checked) : null;
    }

    /** {@code RESET ALL}: the reports of what changed back. */
    List<Report> resetAll() {
        List<Report> reports = new ArrayList<>();
        for (String key : List.copyOf(values.keySet())) {
            Known k = KNOWN.get(key);
            String before = values.remove(key);
            if (k != null && k.reported() && !k.initial().equals(before)) {
                reports.add(new Report(k.name(), k.initial()));
            }
        }
        return reports;
    }

    private static PgError unrecognized(String name) {
        return PgError.error("42704", "unrecognized configuration parameter \"" + name.toLowerCase(Locale.ROOT) + "\"");
    }

    private static PgError invalid(String name, String value, String why) {
        return PgError.error("22023", "invalid value for parameter \"" + name + "\": \"" + value + "\"")
                .withHint(why);
    }

    private static String encoding(String v) {
        String n = v.toUpperCase(Locale.ROOT).replace("-", "").replace("_", "");
        if (n.equals("UTF8") || n.equals("UNICODE")) {
            return "UTF8";
        }
        throw invalid("client_encoding", v, "LumaDB speaks UTF8 only");
    }

    private static String dateStyle(String v) {
        String u = v.toUpperCase(Locale.ROOT);
        if (!u.contains("ISO")) {
            throw invalid("DateStyle", v, "LumaDB writes dates in the ISO style only");
        }
        return "ISO, " + (u.contains("DMY") ? "DMY" : u.contains("YMD") ? "YMD" : "MDY");
    }

    private static String timeZone(String v) {
        // Answers are in UTC whatever the zone: LumaDB keeps timestamps without a zone, and writes
        // one with a zone with its offset (+00). The zone is kept so that clients read it back.
        try {
            ZoneId.of(v.equalsIgnoreCase("localtime") ? "UTC" : v);
            return v;
        } catch (DateTimeException e) {
            throw invalid("TimeZone", v, "a zone name such as UTC or Europe/Berlin, or an offset such as +01:00");
        }
    }

    private static String only(String v, String name, String allowed) {
        if (!v.equalsIgnoreCase(allowed)) {
            throw invalid(name, v, "LumaDB supports " + allowed + " only");
        }
        return allowed;
    }

    private static String integer(String v, String name, int min, int max) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min && n <= max) {
                return Integer.toString(n);
            }
        } catch (NumberFormatException e) {
            // refused below
        }
        throw invalid(name, v, "an integer from " + min + " to " + max);
    }
}
