package io.lumadb.sql.plan;

import org.apache.calcite.plan.Convention;
import org.apache.calcite.rel.RelNode;

/**
 * A relational expression LumaDB's shards evaluate: in this convention, a {@link LumaTableScan}
 * carries everything pushed into the collection's JQL query (filter, sort, offset and limit), and
 * {@link LumaToEnumerableConverter} hands its rows to Calcite's Enumerable runtime for the rest.
 */
public interface LumaRel extends RelNode {

    /** The calling convention of relational expressions evaluated by the shards. */
    Convention CONVENTION = new Convention.Impl("LUMADB", LumaRel.class);
}
