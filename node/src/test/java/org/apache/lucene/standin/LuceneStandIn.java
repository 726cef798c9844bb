package org.apache.lucene.standin;

/** A class in Lucene's package for ModuleRulesCatchViolationsTest: Lucene is on no class path of LumaDB yet. */
public class LuceneStandIn {}
