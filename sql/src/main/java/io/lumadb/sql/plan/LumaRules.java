package io.lumadb.sql.plan;

import io.lumadb.sql.schema.Column;
import java.util.ArrayList;
import java.util.List;
import org.apache.calcite.plan.RelOptRule;
import org.apache.calcite.plan.RelOptRuleCall;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.plan.RelRule;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalSort;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.tools.RelBuilder;

/**
 * The planner rules that push work into a collection's JQL query: filters (the shards choose an
 * index for them), then sorts, offsets and limits, which may follow only an exact filter.
 */
final class LumaRules {

    private LumaRules() {}

    static final RelOptRule[] RULES = {FilterRule.INSTANCE, SortRule.INSTANCE};

    /**
     * Pushes the conjuncts of a filter above a scan into the scan. A conjunct JQL cannot express
     * stays above; one it expresses loosely ({@link JqlTranslator}) is pushed and also stays above.
     */
    static final class FilterRule extends RelRule<RuleConfig> {
        static final RelOptRule INSTANCE = RuleConfig.of(
                        "LumaFilterRule",
                        b0 -> b0.operand(LogicalFilter.class).oneInput(b1 -> b1.operand(LumaTableScan.class)
                                .predicate(scan -> !scan.spec().ordered())
                                .noInputs()),
                        FilterRule::new)
                .toRule();

        private FilterRule(RuleConfig config) {
            super(config);
        }

        @Override
        public void onMatch(RelOptRuleCall call) {
            LogicalFilter filter = call.rel(0);
            LumaTableScan scan = call.rel(1);
            List<Column> columns = scan.spec().columns();
            JqlTranslator translator =
                    new JqlTranslator(columns, filter.getCluster().getRexBuilder());
            List<ScanSpec.Conjunct> pushed = new ArrayList<>();
            List<RexNode> residual = new ArrayList<>();
            boolean changed = false;
            for (RexNode conjunct : RelOptUtil.conjunctions(filter.getCondition())) {
                String digest = conjunct.toString();
                JqlTranslator.Translation t = translator.translate(conjunct);
                if (t == null) {
                    residual.add(conjunct);
                    continue;
                }
                if (!scan.spec().hasDigest(digest)) {
                    pushed.add(new ScanSpec.Conjunct(digest, t.tree()));
                    changed = true;
                }
                if (t.exact()) {
                    changed = true;
                } else {
                    residual.add(conjunct);
                }
            }
            if (!changed) {
                return;
            }
            LumaTableScan narrowed = scan.with(scan.spec().withFilters(pushed), null);
            if (residual.isEmpty()) {
                call.transformTo(narrowed);
            } else {
                RelBuilder builder = call.builder();
                call.transformTo(builder.push(narrowed).filter(residual).build());
            }
        }
    }

    /**
     * Pushes a sort, offset and limit directly above a scan into it. The sort keys must be
     * columns every document holds with one type ({@code _id}, {@code _version}), so that the
     * shards' order is SQL's order; offset and limit must be literals.
     */
    static final class SortRule extends RelRule<RuleConfig> {
        static final RelOptRule INSTANCE = RuleConfig.of(
                        "LumaSortRule",
                        b0 -> b0.operand(LogicalSort.class).oneInput(b1 -> b1.operand(LumaTableScan.class)
                                .predicate(scan -> !scan.spec().ordered())
                                .noInputs()),
                        SortRule::new)
                .toRule();

        private SortRule(RuleConfig config) {
            super(config);
        }

        @Override
        public void onMatch(RelOptRuleCall call) {
            LogicalSort sort = call.rel(0);
            LumaTableScan scan = call.rel(1);
            List<Column> columns = scan.spec().columns();
            List<ScanSpec.SortKey> keys = new ArrayList<>();
            for (RelFieldCollation field : sort.getCollation().getFieldCollations()) {
                Column column = columns.get(field.getFieldIndex());
                if (!column.strict() || column.nullable() || !column.pushable()) {
                    return;
                }
                keys.add(
                        new ScanSpec.SortKey(column.name(), field.getDirection().isDescending()));
            }
            long offset = literal(sort.offset, 0);
            long fetch = literal(sort.fetch, -1);
            if (offset == Long.MIN_VALUE || fetch == Long.MIN_VALUE) {
                return; // a parameter or an expression: Calcite applies it
            }
            LumaTableScan ordered = scan.with(
                    scan.spec().withSort(keys, offset, fetch),
                    LumaTableScan.collationOf(sort.getCollation().getFieldCollations()));
            call.transformTo(ordered);
        }

        private static long literal(RexNode node, long absent) {
            if (node == null) {
                return absent;
            }
            if (node instanceof RexLiteral l && !l.isNull()) {
                Long v = l.getValueAs(Long.class);
                return v == null ? Long.MIN_VALUE : v;
            }
            return Long.MIN_VALUE;
        }
    }
}
