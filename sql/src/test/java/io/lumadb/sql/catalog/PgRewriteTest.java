package io.lumadb.sql.catalog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PgRewriteTest {

    @Test
    void onlyCatalogQueriesAreRewritten() {
        assertTrue(PgRewrite.applies("SELECT 1 FROM pg_catalog.pg_class"));
        assertTrue(PgRewrite.applies("select current_database()"));
        assertFalse(PgRewrite.applies("SELECT a FROM orders"));
    }

    @Test
    void regexOperatorsBecomeFunctionCalls() {
        assertEquals(
                "SELECT 1 FROM pg_catalog.pg_class c WHERE pg_catalog.pg_regex(c.relname, '^(ztmp)$', FALSE) "
                        + " AND NOT pg_catalog.pg_regex(n.nspname, '^pg_toast', FALSE)"
                        + " AND pg_catalog.pg_regex(x, 'A', TRUE)",
                PgRewrite.rewrite(
                        "SELECT 1 FROM pg_catalog.pg_class c WHERE c.relname OPERATOR(pg_catalog.~) '^(ztmp)$'"
                                + " COLLATE pg_catalog.default AND n.nspname !~ '^pg_toast' AND x ~* 'A'",
                        "shop"));
    }

    @Test
    void castsBecomeCastsAndNamesBecomeLiterals() {
        assertEquals(
                "SELECT CAST(CAST(c.reloftype AS INTEGER) AS VARCHAR), pg_catalog.pg_regclass('pg_class'),"
                        + " 'shop', 'shop' FROM pg_catalog.pg_class c",
                PgRewrite.rewrite(
                        "SELECT c.reloftype::pg_catalog.regtype::pg_catalog.text, 'pg_class'::regclass,"
                                + " current_database(), pg_catalog.current_database() FROM pg_catalog.pg_class c",
                        "shop"));
        // Nothing inside literals, quoted names or comments changes.
        String untouched = "SELECT 'a ~ b::text' AS \"x::y\" /* c ~ 'd' */ FROM pg_catalog.pg_class";
        assertEquals(untouched, PgRewrite.rewrite(untouched, "shop"));
    }

    @Test
    void catalogsOfObjectsLumaDbLacksAreKnownEmpty() {
        assertTrue(PgRewrite.readsEmptyCatalog("SELECT pol.polname FROM pg_catalog.pg_policy pol WHERE x"));
        assertFalse(PgRewrite.readsEmptyCatalog("SELECT 'pg_policy' FROM pg_catalog.pg_class"));
    }
}
