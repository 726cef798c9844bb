package io.lumadb.sql.pgwire;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PgSqlTest {

    private static List<String> texts(String query) {
        return PgSql.split(query).stream().map(PgSql.Piece::text).toList();
    }

    @Test
    void splitsAtSemicolonsOutsideQuotesAndComments() {
        assertEquals(List.of("SELECT 1", " SELECT 2"), texts("SELECT 1; SELECT 2;"));
        assertEquals(List.of("SELECT ';'", " SELECT \"a;b\""), texts("SELECT ';'; SELECT \"a;b\""));
        assertEquals(List.of("SELECT 'it''s;'"), texts("SELECT 'it''s;'"));
        assertEquals(List.of("SELECT E'a\\';b'"), texts("SELECT E'a\\';b'"));
        assertEquals(List.of("SELECT $$;$$", " SELECT $x$ ; $x$"), texts("SELECT $$;$$; SELECT $x$ ; $x$"));
        assertEquals(
                List.of("SELECT 1 -- ; not here\n", " SELECT /* ; /* nested ; */ */ 2"),
                texts("SELECT 1 -- ; not here\n; SELECT /* ; /* nested ; */ */ 2"));
        assertEquals(List.of(), texts(" ; -- nothing\n ; /* */ "));
        assertEquals(9, PgSql.split("SELECT 1;SELECT 2").get(1).offset());
    }

    @Test
    void numbersParametersAndCastsTheDeclaredOnes() {
        PgSql.Positional p =
                PgSql.positional("SELECT a FROM t WHERE a = $2 AND b = $1 OR c = $2", Arrays.asList(null, "INTEGER"));
        assertEquals("SELECT a FROM t WHERE a = CAST(? AS INTEGER) AND b = ? OR c = CAST(? AS INTEGER)", p.text());
        assertArrayEquals(new int[] {2, 1, 2}, p.parameterOf());
        assertEquals(2, p.parameterCount());
        // A position after a rewritten placeholder is the client's position again.
        int inRewritten = p.text().indexOf("OR") + 1;
        assertEquals("SELECT a FROM t WHERE a = $2 AND b = $1 OR c = $2".indexOf("OR") + 1, p.original(inRewritten));
    }

    @Test
    void leavesDollarsInsideQuotesIdentifiersAndDollarQuotesAlone() {
        PgSql.Positional p = PgSql.positional("SELECT '$1', \"$2\", $$ $3 $$, a$1 FROM t WHERE x = $1", List.of());
        assertEquals("SELECT '$1', \"$2\", $$ $3 $$, a$1 FROM t WHERE x = ?", p.text());
        assertArrayEquals(new int[] {1}, p.parameterOf());
        PgError zero = assertThrows(PgError.class, () -> PgSql.positional("SELECT $0", List.of()));
        assertEquals("42P02", zero.sqlState());
    }

    @Test
    void readsTheLeadingWords() {
        assertEquals("EXPLAIN ANALYZE", PgSql.words("  /* c */ explain -- x\n analyze select 1", 2));
        assertEquals("SELECT", PgSql.words("select(1)", 3));
        assertTrue(PgSql.blank(" -- only a comment\n /* and another */ "));
    }
}
