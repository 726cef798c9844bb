package io.lumadb.sql.plan;

import io.lumadb.sql.schema.Column;
import java.util.ArrayList;
import java.util.List;
import org.apache.calcite.plan.RelOptRule;
import org.apache.calcite.plan.RelOptRuleCall;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.plan.RelRule;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.logical.LogicalAggregate;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rel.logical.LogicalSort;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexPermuteInputsShuttle;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.tools.RelBuilder;
import org.apache.calcite.util.ImmutableBitSet;
import org.apache.calcite.util.mapping.Mappings;

/**
 * The planner rules that push work into a collection's JQL query: filters (the shards choose an
 * index for them), then sorts, offsets and limits, which may follow only an exact filter.
 */
final class LumaRules {

    private LumaRules() {}

    static final RelOptRule[] RULES = {
        FilterRule.INSTANCE,
        SortRule.INSTANCE,
        CountRule.INSTANCE,
        CountOverProjectRule.INSTANCE,
        CountOverFilterRule.INSTANCE,
        ProjectRule.INSTANCE,
        ProjectOverFilterRule.INSTANCE
    };

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
                if (!scan.spec().hasConjunct(t.tree())) {
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
     * Pushes {@code COUNT(*)} without grouping, directly above a scan whose filter was pushed
     * exactly (nothing of it left for Calcite, no sort or limit), into the scan: the shards count
     * the matching documents (with the caller's row rules, as a JQL count does) and send only the
     * number. Other aggregations stay in Calcite: JQL's typing of values (a sum over whatever is a
     * number in a field) is not SQL's (a column reads a value of another type as NULL).
     */
    static final class CountRule extends RelRule<RuleConfig> {
        static final RelOptRule INSTANCE = RuleConfig.of(
                        "LumaCountRule",
                        b0 -> b0.operand(LogicalAggregate.class)
                                .predicate(CountRule::countsRows)
                                .oneInput(b1 -> b1.operand(LumaTableScan.class)
                                        .predicate(CountRule::countable)
                                        .noInputs()),
                        CountRule::new)
                .toRule();

        private CountRule(RuleConfig config) {
            super(config);
        }

        static boolean countsRows(LogicalAggregate a) {
            if (!a.getGroupSet().isEmpty()
                    || a.getGroupType() != Aggregate.Group.SIMPLE
                    || a.getAggCallList().size() != 1) {
                return false;
            }
            AggregateCall c = a.getAggCallList().getFirst();
            return c.getAggregation().getKind() == SqlKind.COUNT
                    && c.getArgList().isEmpty()
                    && !c.isDistinct()
                    && c.filterArg < 0;
        }

        static boolean countable(LumaTableScan scan) {
            return !scan.spec().ordered() && !scan.spec().count();
        }

        @Override
        public void onMatch(RelOptRuleCall call) {
            LumaTableScan scan = call.rel(1);
            call.transformTo(scan.with(scan.spec().withCount(), null));
        }
    }

    /** {@link CountRule} where Calcite put an empty projection between the count and the scan. */
    static final class CountOverProjectRule extends RelRule<RuleConfig> {
        static final RelOptRule INSTANCE = RuleConfig.of(
                        "LumaCountOverProjectRule",
                        b0 -> b0.operand(LogicalAggregate.class)
                                .predicate(CountRule::countsRows)
                                .oneInput(b1 -> b1.operand(LogicalProject.class)
                                        .oneInput(b2 -> b2.operand(LumaTableScan.class)
                                                .predicate(CountRule::countable)
                                                .noInputs())),
                        CountOverProjectRule::new)
                .toRule();

        private CountOverProjectRule(RuleConfig config) {
            super(config);
        }

        @Override
        public void onMatch(RelOptRuleCall call) {
            LumaTableScan scan = call.rel(2);
            call.transformTo(scan.with(scan.spec().withCount(), null));
        }
    }

    /**
     * {@link CountRule} over a filter that JQL expresses exactly as a whole: filter and count go
     * into the scan together. (The scan the filter rule makes is of the scan's convention, which
     * the count's input, the filter's logical subset, does not list; so the count is matched with
     * the filter still there.)
     */
    static final class CountOverFilterRule extends RelRule<RuleConfig> {
        static final RelOptRule INSTANCE = RuleConfig.of(
                        "LumaCountOverFilterRule",
                        b0 -> b0.operand(LogicalAggregate.class)
                                .predicate(CountRule::countsRows)
                                .oneInput(b1 -> b1.operand(LogicalFilter.class)
                                        .oneInput(b2 -> b2.operand(LumaTableScan.class)
                                                .predicate(CountRule::countable)
                                                .noInputs())),
                        CountOverFilterRule::new)
                .toRule();

        private CountOverFilterRule(RuleConfig config) {
            super(config);
        }

        @Override
        public void onMatch(RelOptRuleCall call) {
            LogicalFilter filter = call.rel(1);
            LumaTableScan scan = call.rel(2);
            JqlTranslator translator =
                    new JqlTranslator(scan.spec().columns(), filter.getCluster().getRexBuilder());
            List<ScanSpec.Conjunct> pushed = new ArrayList<>();
            for (RexNode conjunct : RelOptUtil.conjunctions(filter.getCondition())) {
                JqlTranslator.Translation t = translator.translate(conjunct);
                if (t == null || !t.exact()) {
                    return; // Calcite must see the rows to filter them; it counts them too
                }
                if (!scan.spec().hasConjunct(t.tree())) {
                    pushed.add(new ScanSpec.Conjunct(conjunct.toString(), t.tree()));
                }
            }
            call.transformTo(scan.with(scan.spec().withFilters(pushed).withCount(), null));
        }
    }

    /**
     * Pushes a projection into the scan below it: the scan reads only the columns the projection
     * uses, and asks the shards for only those fields ({@code fields} of the JQL query), so less
     * of each document travels and is parsed.
     */
    static final class ProjectRule extends RelRule<RuleConfig> {
        static final RelOptRule INSTANCE = RuleConfig.of(
                        "LumaProjectRule",
                        b0 -> b0.operand(LogicalProject.class).oneInput(b1 -> b1.operand(LumaTableScan.class)
                                .predicate(ProjectRule::narrowable)
                                .noInputs()),
                        ProjectRule::new)
                .toRule();

        private ProjectRule(RuleConfig config) {
            super(config);
        }

        /** Not a count, and no pushed sort (whose collation names columns by position). */
        static boolean narrowable(LumaTableScan scan) {
            return !scan.spec().count() && !scan.spec().ordered();
        }

        @Override
        public void onMatch(RelOptRuleCall call) {
            LogicalProject project = call.rel(0);
            LumaTableScan scan = call.rel(1);
            ImmutableBitSet used = RelOptUtil.InputFinder.bits(project.getProjects(), null);
            Narrowed n = Narrowed.of(scan, used);
            if (n == null) {
                return;
            }
            call.transformTo(call.builder()
                    .push(n.scan())
                    .project(
                            n.remap(project.getProjects()), project.getRowType().getFieldNames())
                    .build());
        }
    }

    /** {@link ProjectRule} through a filter: the scan reads the columns either uses. */
    static final class ProjectOverFilterRule extends RelRule<RuleConfig> {
        static final RelOptRule INSTANCE = RuleConfig.of(
                        "LumaProjectOverFilterRule",
                        b0 -> b0.operand(LogicalProject.class).oneInput(b1 -> b1.operand(LogicalFilter.class)
                                .oneInput(b2 -> b2.operand(LumaTableScan.class)
                                        .predicate(ProjectRule::narrowable)
                                        .noInputs())),
                        ProjectOverFilterRule::new)
                .toRule();

        private ProjectOverFilterRule(RuleConfig config) {
            super(config);
        }

        @Override
        public void onMatch(RelOptRuleCall call) {
            LogicalProject project = call.rel(0);
            LogicalFilter filter = call.rel(1);
            LumaTableScan scan = call.rel(2);
            ImmutableBitSet used = RelOptUtil.InputFinder.bits(project.getProjects(), null)
                    .union(RelOptUtil.InputFinder.bits(filter.getCondition()));
            Narrowed n = Narrowed.of(scan, used);
            if (n == null) {
                return;
            }
            call.transformTo(call.builder()
                    .push(n.scan())
                    .filter(n.remap(List.of(filter.getCondition())))
                    .project(
                            n.remap(project.getProjects()), project.getRowType().getFieldNames())
                    .build());
        }
    }

    /** A scan narrowed to the columns in {@code used}, and how to rewrite expressions over the wide one. */
    private record Narrowed(LumaTableScan scan, Mappings.TargetMapping mapping) {
        static Narrowed of(LumaTableScan wide, ImmutableBitSet used) {
            int width = wide.spec().columns().size();
            if (used.cardinality() >= width) {
                return null;
            }
            // _id stays first: the table's statistics say its first column is unique, which holds
            // only while that column is _id (a narrowed scan is still a scan of the same table).
            List<Integer> keep = used.set(0).toList();
            if (keep.size() >= width) {
                return null;
            }
            Mappings.TargetMapping mapping =
                    Mappings.create(org.apache.calcite.util.mapping.MappingType.INVERSE_SURJECTION, width, keep.size());
            for (int i = 0; i < keep.size(); i++) {
                mapping.set(keep.get(i), i);
            }
            return new Narrowed(wide.with(wide.spec().withColumns(keep), null), mapping);
        }

        List<RexNode> remap(List<RexNode> expressions) {
            RexPermuteInputsShuttle shuttle = RexPermuteInputsShuttle.of(mapping);
            return expressions.stream().map(e -> e.accept(shuttle)).toList();
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
