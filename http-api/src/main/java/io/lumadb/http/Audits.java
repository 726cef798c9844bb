package io.lumadb.http;

import io.lumadb.security.audit.AuditEvent;
import java.util.Map;
import org.apache.pekko.http.javadsl.model.AttributeKeys;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * What the resources record in the audit log: each administrative change (users, roles, keys,
 * databases, collections, indexes) once it is done, with the caller and the client's address.
 * The node's HTTP edge puts the address on every request (Pekko HTTP's remote-address
 * attribute).
 */
final class Audits {

    private Audits() {}

    /** The client's IP address, or null when the server did not attach it (a test's own dispatcher). */
    static String client(HttpRequest request) {
        return request.getAttribute(AttributeKeys.remoteAddress)
                .flatMap(a -> a.getAddress())
                .map(a -> a.getHostAddress())
                .orElse(null);
    }

    /** Records a change to the security catalog made by the caller of {@code call}. */
    static void securityChange(ApiContext api, Call call, String operation, Map<String, Object> details) {
        api.security()
                .audit()
                .record(AuditEvent.securityChange(call.principal(), client(call.request()), operation, details));
    }

    /** Records a database, collection or index created or dropped by the caller of {@code call}. */
    static void dataDefinition(ApiContext api, Call call, String operation, Map<String, Object> details) {
        api.security()
                .audit()
                .record(AuditEvent.dataDefinition(call.principal(), client(call.request()), operation, details));
    }
}
