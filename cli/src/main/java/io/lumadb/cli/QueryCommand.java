package io.lumadb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lumadb query DB/COLLECTION [JQL]}: a JQL query, every page of it. */
@Command(
        name = "query",
        description = {
            "Run a JQL query and print every matching document (all pages), or a count, aggregation or distinct.",
            "The query is the body of POST /_query: {\"filter\": {...}, \"sort\": [...], \"fields\": [...]}",
            "Example: lumadb query shop/users '{\"filter\": {\"age\": {\"$gte\": 18}}, \"sort\": [\"name\"]}' -o table"
        })
final class QueryCommand extends Base implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DB/COLLECTION")
    String target;

    @Parameters(
            index = "1",
            arity = "0..1",
            paramLabel = "JQL",
            description = "the query (default: --file or stdin; {} for all)")
    String jql;

    @Option(
            names = {"-f", "--file"},
            paramLabel = "FILE",
            description = "read the query from this file (- for stdin)")
    String file;

    @Option(names = "--filter", paramLabel = "JSON", description = "a filter, instead of a whole query")
    String filter;

    @Option(names = "--limit", paramLabel = "N", description = "print at most N documents (default: all)")
    long limit;

    @Option(
            names = {"-o", "--output"},
            defaultValue = "json",
            description = "table, json, ndjson or csv (default ${DEFAULT-VALUE})")
    Rows.Format output;

    @Override
    public Integer call() {
        ObjectNode query;
        if (filter != null) {
            query = NodeApi.object();
            query.set("filter", jsonBody(filter, null, "--filter"));
        } else {
            JsonNode q = jsonBody(jql, file, "the query");
            if (!q.isObject()) {
                throw new CliException(ExitCodes.USAGE, "a query is a JSON object such as {\"filter\": {...}}");
            }
            query = (ObjectNode) q;
        }
        Results.jql(api(), Target.collection(target), query, output, limit, out());
        return ExitCodes.OK;
    }
}
