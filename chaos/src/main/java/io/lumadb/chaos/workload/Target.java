package io.lumadb.chaos.workload;

import java.util.Map;

/**
 * Where the workloads send their requests: the collection under test and each node's API base
 * URL by node name.
 *
 * @param api the HTTP client every workload shares
 * @param baseUrls node name to {@code http://ip:port}
 * @param db the database
 * @param collection the collection registers and sets live in (one stream for the change checks)
 */
public record Target(NodeApi api, Map<String, String> baseUrls, String db, String collection) {

    public Target {
        baseUrls = Map.copyOf(baseUrls);
    }

    public String collectionUrl(String node) {
        return baseUrls.get(node) + "/api/v1/" + db + "/" + collection;
    }

    public String docUrl(String node, String id) {
        return collectionUrl(node) + "/" + id;
    }
}
