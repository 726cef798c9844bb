package io.lumadb.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code lumadb sql DB STATEMENT}: one SQL statement, its rows streamed. */
@Command(
        name = "sql",
        description = {
            "Run one SQL statement over a database's collections and print its rows as they come.",
            "Parameters are ? in the statement and --param values in order (JSON literals: 42, \"text\", true, null;"
                    + " anything that is not JSON is a string).",
            "Example: lumadb sql shop 'SELECT region, count(*) FROM orders GROUP BY region' -o table"
        })
final class SqlCommand extends Base implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "DB")
    String db;

    @Parameters(
            index = "1",
            arity = "0..1",
            paramLabel = "SQL",
            description = "the statement (default: --file or stdin)")
    String sql;

    @Option(
            names = {"-f", "--file"},
            paramLabel = "FILE",
            description = "read the statement from this file (- for stdin)")
    String file;

    @Option(names = "--param", paramLabel = "VALUE", description = "a parameter (repeat for each ?)")
    List<String> params;

    @Option(
            names = {"-o", "--output"},
            defaultValue = "table",
            description = "table, json, ndjson or csv (default ${DEFAULT-VALUE})")
    Rows.Format output;

    @Override
    public Integer call() throws IOException {
        String statement = sql;
        if (statement == null) {
            statement = file == null || file.equals("-")
                    ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                    : java.nio.file.Files.readString(java.nio.file.Path.of(file));
        }
        statement = statement.strip();
        if (statement.endsWith(";")) {
            statement = statement.substring(0, statement.length() - 1);
        }
        Target.database(db);
        Results.sql(api(), db, statement, params(params), output, out(), err());
        return ExitCodes.OK;
    }

    static ArrayNode params(List<String> values) {
        ArrayNode array = NodeApi.JSON.createArrayNode();
        if (values == null) {
            return array;
        }
        for (String v : values) {
            JsonNode n;
            try {
                n = NodeApi.JSON.readTree(v);
            } catch (IOException e) {
                n = null;
            }
            array.add(
                    n == null || n.isMissingNode() || n.isContainerNode()
                            ? NodeApi.JSON.getNodeFactory().textNode(v)
                            : n);
        }
        return array;
    }
}
