package io.lumadb.shards.model;

import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * The naming rules of databases, collections and document ids. Names starting with {@code _}
 * are reserved for LumaDB itself ({@code _bulk}, {@code _docs}, ...).
 */
public final class Names {

    /** Longest database or collection name, in characters. */
    public static final int MAX_NAME_LENGTH = 64;

    /** Longest document id, in UTF-8 bytes. */
    public static final int MAX_ID_BYTES = 512;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_-]{0,63}");

    private Names() {}

    /** Checks a database name; throws {@link InvalidNameException} naming {@code field}. */
    public static String checkDatabase(String name) {
        return checkName("database", name);
    }

    /** Checks a collection name; throws {@link InvalidNameException}. */
    public static String checkCollection(String name) {
        return checkName("collection", name);
    }

    /** Checks a secondary index name; throws {@link InvalidNameException}. */
    public static String checkIndex(String name) {
        return checkName("index", name);
    }

    private static String checkName(String field, String name) {
        if (name == null || name.isEmpty()) {
            throw new InvalidNameException(field, name, "must not be empty");
        }
        if (name.startsWith("_")) {
            throw new InvalidNameException(field, name, "names starting with '_' are reserved");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw new InvalidNameException(field, name, "must be at most " + MAX_NAME_LENGTH + " characters long");
        }
        if (!NAME.matcher(name).matches()) {
            throw new InvalidNameException(
                    field,
                    name,
                    "may contain only letters, digits, '_' and '-', and must start with a letter or digit");
        }
        return name;
    }

    /** Checks a document id; throws {@link InvalidNameException} for field {@code _id}. */
    public static String checkDocumentId(String id) {
        if (id == null || id.isEmpty()) {
            throw new InvalidNameException("_id", id, "must not be empty");
        }
        if (id.startsWith("_")) {
            throw new InvalidNameException("_id", id, "ids starting with '_' are reserved");
        }
        if (id.equals(".") || id.equals("..")) {
            // A URL path could never name them: clients and proxies resolve them as dot segments.
            throw new InvalidNameException("_id", id, "'.' and '..' cannot be addressed in a URL path");
        }
        if (id.getBytes(StandardCharsets.UTF_8).length > MAX_ID_BYTES) {
            throw new InvalidNameException("_id", id, "must be at most " + MAX_ID_BYTES + " bytes long in UTF-8");
        }
        for (int i = 0; i < id.length(); i++) {
            char c = id.charAt(i);
            if (c < 0x20 || c == 0x7F || c == '/') {
                throw new InvalidNameException("_id", id, "must not contain '/' or control characters");
            }
            if (Character.isSurrogate(c)
                    && !(Character.isHighSurrogate(c)
                            && i + 1 < id.length()
                            && Character.isLowSurrogate(id.charAt(++i)))) {
                throw new InvalidNameException("_id", id, "must be valid Unicode");
            }
        }
        return id;
    }
}
