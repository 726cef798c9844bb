package io.lumadb.sql.plan;

import io.lumadb.sql.schema.CollectionTable;
import java.util.List;
import org.apache.calcite.plan.RelOptCluster;
import org.apache.calcite.plan.RelOptCost;
import org.apache.calcite.plan.RelOptPlanner;
import org.apache.calcite.plan.RelOptTable;
import org.apache.calcite.plan.RelTraitSet;
import org.apache.calcite.rel.RelCollation;
import org.apache.calcite.rel.RelCollationTraitDef;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelWriter;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.metadata.RelMetadataQuery;

/**
 * A scan of one collection with what was pushed into its JQL query ({@link ScanSpec}). Pushing
 * more makes it cheaper, so the planner prefers the shards doing the work: their indexes answer
 * the filter, and a pushed sort and limit stop them early.
 */
public final class LumaTableScan extends TableScan implements LumaRel {

    private final ScanSpec spec;

    LumaTableScan(RelOptCluster cluster, RelTraitSet traits, RelOptTable table, ScanSpec spec) {
        super(cluster, traits, List.of(), table);
        this.spec = spec;
    }

    /** A scan of the whole collection, nothing pushed yet. */
    public static LumaTableScan create(RelOptCluster cluster, RelOptTable table, CollectionTable collection) {
        return new LumaTableScan(cluster, cluster.traitSetOf(CONVENTION), table, ScanSpec.all(collection.columns()));
    }

    ScanSpec spec() {
        return spec;
    }

    LumaTableScan with(ScanSpec newSpec, RelCollation collation) {
        RelTraitSet traits = collation == null ? getTraitSet() : getTraitSet().replace(collation);
        return new LumaTableScan(getCluster(), traits, getTable(), newSpec);
    }

    @Override
    public RelNode copy(RelTraitSet traitSet, List<RelNode> inputs) {
        return new LumaTableScan(getCluster(), traitSet, getTable(), spec);
    }

    /** A counting scan answers one row, the count; any other the collection's columns. */
    @Override
    public org.apache.calcite.rel.type.RelDataType deriveRowType() {
        var types = getCluster().getTypeFactory();
        if (!spec.count()) {
            // The columns it reads: the table's, or those a pushed projection kept.
            var row = types.builder();
            for (io.lumadb.sql.schema.Column c : spec.columns()) {
                row.add(c.name(), c.type().relType(types, c.nullable()));
            }
            return row.build();
        }
        return types.builder()
                .add("count", types.createSqlType(org.apache.calcite.sql.type.SqlTypeName.BIGINT))
                .build();
    }

    @Override
    public RelWriter explainTerms(RelWriter pw) {
        String pushed = spec.describe();
        return super.explainTerms(pw).itemIf("jql", pushed, !pushed.isEmpty());
    }

    @Override
    public void register(RelOptPlanner planner) {
        planner.addRule(LumaToEnumerableConverterRule.INSTANCE);
        for (var rule : LumaRules.RULES) {
            planner.addRule(rule);
        }
    }

    @Override
    public double estimateRowCount(RelMetadataQuery mq) {
        double rows = super.estimateRowCount(mq);
        for (ScanSpec.Conjunct c : spec.filters()) {
            rows *= c.tree().toString().contains("\"_id\"") ? 0.01 : 0.25;
        }
        if (spec.fetch() >= 0) {
            rows = Math.min(rows, spec.fetch());
        }
        if (spec.count()) {
            return 1;
        }
        return Math.max(rows, 1);
    }

    @Override
    public RelOptCost computeSelfCost(RelOptPlanner planner, RelMetadataQuery mq) {
        // Each thing pushed takes work off Calcite, whatever the row estimate says.
        int pushed = spec.filters().size()
                + spec.sort().size()
                + (spec.fetch() >= 0 ? 1 : 0)
                + (spec.offset() > 0 ? 1 : 0)
                + (spec.count() ? 4 : 0);
        double factor = Math.pow(0.8, pushed);
        // Fewer columns: less of each document travels and is read.
        int all = getTable().getRowType().getFieldCount();
        if (!spec.count() && spec.columns().size() < all) {
            factor *= 0.5 + 0.5 * spec.columns().size() / all;
        }
        double rows = estimateRowCount(mq);
        return planner.getCostFactory().makeCost(rows * factor, rows * factor, 0);
    }

    /** The collation of this scan's pushed sort, for the trait set. */
    static RelCollation collationOf(List<org.apache.calcite.rel.RelFieldCollation> fields) {
        return RelCollationTraitDef.INSTANCE.canonize(org.apache.calcite.rel.RelCollations.of(fields));
    }
}
