package io.lumadb.sql.plan;

import java.util.function.Function;
import org.apache.calcite.plan.RelOptRule;
import org.apache.calcite.plan.RelRule;
import org.apache.calcite.rel.core.RelFactories;
import org.apache.calcite.tools.RelBuilderFactory;
import org.checkerframework.checker.nullness.qual.Nullable;

/**
 * The configuration of one of LumaDB's planner rules: Calcite's {@link RelRule.Config} as a plain
 * record (Calcite's own rules generate theirs with an annotation processor).
 */
record RuleConfig(
        @Nullable String description,
        RelRule.OperandTransform operandSupplier,
        RelBuilderFactory relBuilderFactory,
        Function<RuleConfig, RelOptRule> factory)
        implements RelRule.Config {

    static RuleConfig of(
            String description, RelRule.OperandTransform operands, Function<RuleConfig, RelOptRule> factory) {
        return new RuleConfig(description, operands, RelFactories.LOGICAL_BUILDER, factory);
    }

    @Override
    public RelOptRule toRule() {
        return factory.apply(this);
    }

    @Override
    public RuleConfig withRelBuilderFactory(RelBuilderFactory f) {
        return new RuleConfig(description, operandSupplier, f, factory);
    }

    @Override
    public RuleConfig withDescription(@Nullable String d) {
        return new RuleConfig(d, operandSupplier, relBuilderFactory, factory);
    }

    @Override
    public RuleConfig withOperandSupplier(RelRule.OperandTransform transform) {
        return new RuleConfig(description, transform, relBuilderFactory, factory);
    }
}
