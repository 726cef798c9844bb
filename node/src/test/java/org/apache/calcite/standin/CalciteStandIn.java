package org.apache.calcite.standin;

/** A class in Calcite's package for ModuleRulesCatchViolationsTest: Calcite is on no class path of LumaDB yet. */
public class CalciteStandIn {}
