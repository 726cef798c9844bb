package io.lumadb.sql.plan;

import org.apache.calcite.adapter.enumerable.EnumerableConvention;
import org.apache.calcite.plan.RelTraitSet;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.convert.ConverterRule;

/** Hands a {@link LumaRel} to Calcite's Enumerable runtime. */
final class LumaToEnumerableConverterRule extends ConverterRule {

    static final ConverterRule INSTANCE = Config.INSTANCE
            .withConversion(
                    RelNode.class, LumaRel.CONVENTION, EnumerableConvention.INSTANCE, "LumaToEnumerableConverterRule")
            .withRuleFactory(LumaToEnumerableConverterRule::new)
            .toRule(LumaToEnumerableConverterRule.class);

    private LumaToEnumerableConverterRule(Config config) {
        super(config);
    }

    @Override
    public RelNode convert(RelNode rel) {
        RelTraitSet traits = rel.getTraitSet().replace(getOutConvention());
        return new LumaToEnumerableConverter(rel.getCluster(), traits, rel);
    }
}
