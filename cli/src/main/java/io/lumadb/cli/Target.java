package io.lumadb.cli;

/**
 * What a command acts on, written as a path: {@code db}, {@code db/collection} or {@code
 * db/collection/id}. An id may hold {@code /}: everything after the second one is the id.
 */
record Target(String db, String collection, String id) {

    static Target database(String text) {
        Target t = parse(text, 1);
        return t;
    }

    static Target collection(String text) {
        return parse(text, 2);
    }

    static Target document(String text) {
        return parse(text, 3);
    }

    private static Target parse(String text, int parts) {
        String[] p = text.split("/", parts);
        String shape =
                switch (parts) {
                    case 1 -> "DB";
                    case 2 -> "DB/COLLECTION";
                    default -> "DB/COLLECTION/ID";
                };
        if (p.length != parts
                || java.util.Arrays.stream(p).anyMatch(String::isEmpty)
                || (parts < 3 && text.split("/", -1).length != parts)) {
            throw new CliException(ExitCodes.USAGE, "'" + text + "' is not " + shape);
        }
        return new Target(p[0], parts > 1 ? p[1] : null, parts > 2 ? p[2] : null);
    }

    /** The API path of this target, with {@code more} segments after it. */
    String path(String... more) {
        java.util.List<String> segments = new java.util.ArrayList<>();
        segments.add(db);
        if (collection != null) {
            segments.add(collection);
        }
        if (id != null) {
            segments.add(id);
        }
        segments.addAll(java.util.List.of(more));
        return NodeApi.path(segments.toArray(String[]::new));
    }

    @Override
    public String toString() {
        return db + (collection == null ? "" : "/" + collection) + (id == null ? "" : "/" + id);
    }
}
