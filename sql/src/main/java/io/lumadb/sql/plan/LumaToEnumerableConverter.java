package io.lumadb.sql.plan;

import io.lumadb.sql.schema.CollectionTable;
import java.util.ArrayList;
import java.util.List;
import org.apache.calcite.DataContext;
import org.apache.calcite.adapter.enumerable.EnumerableRel;
import org.apache.calcite.adapter.enumerable.EnumerableRelImplementor;
import org.apache.calcite.adapter.enumerable.JavaRowFormat;
import org.apache.calcite.adapter.enumerable.PhysType;
import org.apache.calcite.adapter.enumerable.PhysTypeImpl;
import org.apache.calcite.linq4j.tree.BlockBuilder;
import org.apache.calcite.linq4j.tree.Expression;
import org.apache.calcite.linq4j.tree.Expressions;
import org.apache.calcite.plan.ConventionTraitDef;
import org.apache.calcite.plan.RelOptCluster;
import org.apache.calcite.plan.RelOptCost;
import org.apache.calcite.plan.RelOptPlanner;
import org.apache.calcite.plan.RelTraitSet;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.convert.ConverterImpl;
import org.apache.calcite.rel.metadata.RelMetadataQuery;
import org.apache.calcite.util.BuiltInMethod;

/**
 * Runs a {@link LumaTableScan} from generated code: {@code ((CollectionTable)
 * schema.getTable("orders")).scan(root, "<scan spec>", new Object[] {root.get("?0"), ...})}. The
 * scan spec is fixed when the statement is planned; parameters are read per execution, so a
 * prepared statement is planned once and its pushed filter still sees each execution's values.
 */
public final class LumaToEnumerableConverter extends ConverterImpl implements EnumerableRel {

    LumaToEnumerableConverter(RelOptCluster cluster, RelTraitSet traits, RelNode input) {
        super(cluster, ConventionTraitDef.INSTANCE, traits, input);
    }

    @Override
    public RelNode copy(RelTraitSet traitSet, List<RelNode> inputs) {
        return new LumaToEnumerableConverter(getCluster(), traitSet, sole(inputs));
    }

    @Override
    public RelOptCost computeSelfCost(RelOptPlanner planner, RelMetadataQuery mq) {
        return super.computeSelfCost(planner, mq).multiplyBy(.1);
    }

    @Override
    public Result implement(EnumerableRelImplementor implementor, Prefer pref) {
        LumaTableScan scan = (LumaTableScan) getInput();
        BlockBuilder block = new BlockBuilder();
        // Rows are arrays, but a one-column row is its value (see CollectionTable.scalars).
        PhysType physType = PhysTypeImpl.of(implementor.getTypeFactory(), getRowType(), JavaRowFormat.ARRAY);
        Expression table = block.append("table", scan.getTable().getExpression(CollectionTable.class));
        List<Expression> params = new ArrayList<>();
        for (int i = 0; i <= scan.spec().maxParam(); i++) {
            params.add(Expressions.call(
                    DataContext.ROOT, BuiltInMethod.DATA_CONTEXT_GET.method, Expressions.constant("?" + i)));
        }
        Expression enumerable = block.append(
                "enumerable",
                Expressions.call(
                        table,
                        CollectionTable.SCAN,
                        DataContext.ROOT,
                        Expressions.constant(scan.spec().toJson()),
                        Expressions.newArrayInit(Object.class, params)));
        if (getRowType().getFieldCount() == 1) {
            enumerable = block.append("values", Expressions.call(CollectionTable.SCALARS, enumerable));
        }
        block.add(Expressions.return_(null, enumerable));
        return implementor.result(physType, block.toBlock());
    }
}
