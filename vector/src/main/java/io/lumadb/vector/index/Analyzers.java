package io.lumadb.vector.index;

import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.ar.ArabicAnalyzer;
import org.apache.lucene.analysis.bg.BulgarianAnalyzer;
import org.apache.lucene.analysis.bn.BengaliAnalyzer;
import org.apache.lucene.analysis.br.BrazilianAnalyzer;
import org.apache.lucene.analysis.ca.CatalanAnalyzer;
import org.apache.lucene.analysis.cjk.CJKAnalyzer;
import org.apache.lucene.analysis.ckb.SoraniAnalyzer;
import org.apache.lucene.analysis.core.KeywordAnalyzer;
import org.apache.lucene.analysis.core.SimpleAnalyzer;
import org.apache.lucene.analysis.core.WhitespaceAnalyzer;
import org.apache.lucene.analysis.cz.CzechAnalyzer;
import org.apache.lucene.analysis.da.DanishAnalyzer;
import org.apache.lucene.analysis.de.GermanAnalyzer;
import org.apache.lucene.analysis.el.GreekAnalyzer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.es.SpanishAnalyzer;
import org.apache.lucene.analysis.et.EstonianAnalyzer;
import org.apache.lucene.analysis.eu.BasqueAnalyzer;
import org.apache.lucene.analysis.fa.PersianAnalyzer;
import org.apache.lucene.analysis.fi.FinnishAnalyzer;
import org.apache.lucene.analysis.fr.FrenchAnalyzer;
import org.apache.lucene.analysis.ga.IrishAnalyzer;
import org.apache.lucene.analysis.gl.GalicianAnalyzer;
import org.apache.lucene.analysis.hi.HindiAnalyzer;
import org.apache.lucene.analysis.hu.HungarianAnalyzer;
import org.apache.lucene.analysis.hy.ArmenianAnalyzer;
import org.apache.lucene.analysis.id.IndonesianAnalyzer;
import org.apache.lucene.analysis.it.ItalianAnalyzer;
import org.apache.lucene.analysis.lt.LithuanianAnalyzer;
import org.apache.lucene.analysis.lv.LatvianAnalyzer;
import org.apache.lucene.analysis.ne.NepaliAnalyzer;
import org.apache.lucene.analysis.nl.DutchAnalyzer;
import org.apache.lucene.analysis.no.NorwegianAnalyzer;
import org.apache.lucene.analysis.pt.PortugueseAnalyzer;
import org.apache.lucene.analysis.ro.RomanianAnalyzer;
import org.apache.lucene.analysis.ru.RussianAnalyzer;
import org.apache.lucene.analysis.sr.SerbianAnalyzer;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.analysis.sv.SwedishAnalyzer;
import org.apache.lucene.analysis.ta.TamilAnalyzer;
import org.apache.lucene.analysis.te.TeluguAnalyzer;
import org.apache.lucene.analysis.th.ThaiAnalyzer;
import org.apache.lucene.analysis.tr.TurkishAnalyzer;

/**
 * The analyzers a text index may name, by the names Elasticsearch uses for the same Lucene
 * analyzers: {@code standard} (Unicode word breaks, lower case, no stop words), {@code simple}
 * (letters only, lower case), {@code whitespace} (split on white space, case kept), {@code keyword}
 * (the whole value is one term) and the language analyzers of lucene-analysis-common (lower case,
 * the language's stop words and stemmer, e.g. {@code english}, {@code german}, {@code french}).
 *
 * <p>Each call of {@link #named} makes a new analyzer; the caller closes it. An analyzer is safe
 * to use from several threads at once.
 */
public final class Analyzers {

    /** Immutable: name to a maker of a new instance. */
    private static final Map<String, Supplier<Analyzer>> KNOWN = known();

    private Analyzers() {}

    private static Map<String, Supplier<Analyzer>> known() {
        Map<String, Supplier<Analyzer>> m = new TreeMap<>();
        m.put("standard", StandardAnalyzer::new);
        m.put("simple", SimpleAnalyzer::new);
        m.put("whitespace", WhitespaceAnalyzer::new);
        m.put("keyword", KeywordAnalyzer::new);
        m.put("arabic", ArabicAnalyzer::new);
        m.put("armenian", ArmenianAnalyzer::new);
        m.put("basque", BasqueAnalyzer::new);
        m.put("bengali", BengaliAnalyzer::new);
        m.put("brazilian", BrazilianAnalyzer::new);
        m.put("bulgarian", BulgarianAnalyzer::new);
        m.put("catalan", CatalanAnalyzer::new);
        m.put("cjk", CJKAnalyzer::new);
        m.put("czech", CzechAnalyzer::new);
        m.put("danish", DanishAnalyzer::new);
        m.put("dutch", DutchAnalyzer::new);
        m.put("english", EnglishAnalyzer::new);
        m.put("estonian", EstonianAnalyzer::new);
        m.put("finnish", FinnishAnalyzer::new);
        m.put("french", FrenchAnalyzer::new);
        m.put("galician", GalicianAnalyzer::new);
        m.put("german", GermanAnalyzer::new);
        m.put("greek", GreekAnalyzer::new);
        m.put("hindi", HindiAnalyzer::new);
        m.put("hungarian", HungarianAnalyzer::new);
        m.put("indonesian", IndonesianAnalyzer::new);
        m.put("irish", IrishAnalyzer::new);
        m.put("italian", ItalianAnalyzer::new);
        m.put("latvian", LatvianAnalyzer::new);
        m.put("lithuanian", LithuanianAnalyzer::new);
        m.put("nepali", NepaliAnalyzer::new);
        m.put("norwegian", NorwegianAnalyzer::new);
        m.put("persian", PersianAnalyzer::new);
        m.put("portuguese", PortugueseAnalyzer::new);
        m.put("romanian", RomanianAnalyzer::new);
        m.put("russian", RussianAnalyzer::new);
        m.put("serbian", SerbianAnalyzer::new);
        m.put("sorani", SoraniAnalyzer::new);
        m.put("spanish", SpanishAnalyzer::new);
        m.put("swedish", SwedishAnalyzer::new);
        m.put("tamil", TamilAnalyzer::new);
        m.put("telugu", TeluguAnalyzer::new);
        m.put("thai", ThaiAnalyzer::new);
        m.put("turkish", TurkishAnalyzer::new);
        return Collections.unmodifiableMap(m);
    }

    /**
     * A new analyzer of the given name.
     *
     * @throws IllegalArgumentException for an unknown name; the message lists the known ones
     */
    public static Analyzer named(String name) {
        Supplier<Analyzer> maker = name == null ? null : KNOWN.get(name);
        if (maker == null) {
            throw new IllegalArgumentException(
                    "unknown analyzer '" + name + "'; known analyzers: " + String.join(", ", KNOWN.keySet()));
        }
        return maker.get();
    }

    /** The known names, sorted. */
    public static Set<String> names() {
        return KNOWN.keySet();
    }
}
