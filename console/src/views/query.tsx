// The query editor: JQL over one collection or SQL over a database, results as a table or JSON,
// `explain` drawn per shard, and a history kept in localStorage.
import { useEffect, useState } from 'preact/hooks';
import { apiPath, get, request } from '../api';
import { Editor, fieldPaths } from '../editor';
import { ErrorBox, TargetPicker, pretty, useTarget } from '../ui';

type Lang = 'jql' | 'sql';

interface HistoryEntry {
  lang: Lang;
  db: string;
  collection: string;
  text: string;
  at: number;
}

const HISTORY = 'lumadb.console.queryHistory';

function readHistory(): HistoryEntry[] {
  try {
    return JSON.parse(localStorage.getItem(HISTORY) ?? '[]') as HistoryEntry[];
  } catch {
    return [];
  }
}

interface ShardPlan {
  shard: number;
  plan: string;
  index?: string;
  order?: string;
  keysExamined?: number;
  documentsExamined?: number;
  matched?: number;
  returned?: number;
  millis?: number;
  note?: string;
}

interface Explain {
  shardsTouched?: number;
  shards?: ShardPlan[];
  keysExamined?: number;
  documentsExamined?: number;
  matched?: number;
  millis?: number;
}

interface Result {
  columns: string[];
  rows: unknown[][];
  raw: unknown;
  explain?: Explain;
  sqlPlan?: string;
  summary: string;
}

export function QueryView() {
  const { db, setDb, collection, setCollection } = useTarget('query');
  const [lang, setLang] = useState<Lang>('jql');
  const [jql, setJql] = useState('{\n  "filter": {},\n  "limit": 20\n}');
  const [sqlText, setSqlText] = useState('SELECT * FROM ');
  const [fields, setFields] = useState<string[]>([]);
  const [tables, setTables] = useState<Record<string, string[]>>({});
  const [result, setResult] = useState<Result | null>(null);
  const [view, setView] = useState<'table' | 'json'>('table');
  const [error, setError] = useState<unknown>(null);
  const [running, setRunning] = useState(false);
  const [history, setHistory] = useState<HistoryEntry[]>(readHistory());

  // Field names for completion, from a sample of the collection's documents.
  useEffect(() => {
    if (!db || !collection) return;
    get<{ docs: unknown[] }>(`${apiPath(db, collection)}/_docs?limit=50`)
      .then((r) => setFields(fieldPaths(r.docs)))
      .catch(() => setFields([]));
  }, [db, collection]);

  // SQL completion: the database's collections and their sampled top-level fields.
  useEffect(() => {
    if (!db || lang !== 'sql') return;
    get<{ collections: { name: string }[] }>(apiPath(db))
      .then(async (r) => {
        const t: Record<string, string[]> = {};
        for (const c of r.collections ?? []) {
          const sample = await get<{ docs: unknown[] }>(`${apiPath(db, c.name)}/_docs?limit=20`).catch(() => ({ docs: [] }));
          t[c.name] = ['_id', '_version', 'doc', ...fieldPaths(sample.docs, 1).filter((f) => !f.startsWith('_'))];
        }
        setTables(t);
      })
      .catch(() => setTables({}));
  }, [db, lang]);

  useEffect(() => {
    if (lang === 'sql' && sqlText === 'SELECT * FROM ' && collection) setSqlText(`SELECT * FROM ${collection} LIMIT 20`);
  }, [lang, collection]);

  const remember = (entry: HistoryEntry) => {
    const next = [entry, ...history.filter((h) => h.text !== entry.text || h.lang !== entry.lang)].slice(0, 50);
    setHistory(next);
    localStorage.setItem(HISTORY, JSON.stringify(next));
  };

  const run = async (explain = false) => {
    setError(null);
    setRunning(true);
    try {
      if (lang === 'jql') {
        const body = JSON.parse(jql) as Record<string, unknown>;
        if (explain) body.explain = true;
        const r = await request<Record<string, unknown>>('POST', `${apiPath(db, collection)}/_query`, body);
        setResult(jqlResult(r.data));
        remember({ lang, db, collection, text: jql, at: Date.now() });
      } else {
        const statement = explain && !/^\s*explain/i.test(sqlText) ? `EXPLAIN ANALYZE ${sqlText}` : sqlText;
        const r = await request<{ columns: { name: string }[]; rows: unknown[][]; rowCount: number; documentsRead: number }>(
          'POST',
          `${apiPath(db)}/_sql`,
          { sql: statement },
        );
        const columns = r.data.columns.map((c) => c.name);
        const plan = explain ? r.data.rows.map((row) => row.join(' ')).join('\n') : undefined;
        setResult({
          columns,
          rows: r.data.rows,
          raw: r.data,
          sqlPlan: plan,
          summary: `${r.data.rowCount} rows · ${r.data.documentsRead} documents read`,
        });
        remember({ lang, db, collection, text: sqlText, at: Date.now() });
      }
    } catch (e) {
      setError(e instanceof SyntaxError ? new Error(`The query is not valid JSON: ${e.message}`) : e);
    } finally {
      setRunning(false);
    }
  };

  return (
    <section aria-labelledby="query-title">
      <h1 id="query-title">Query</h1>
      <div class="row">
        <TargetPicker idPrefix="query" db={db} collection={collection} onDb={setDb} onCollection={setCollection} />
        <fieldset class="segmented">
          <legend>Language</legend>
          <label>
            <input type="radio" name="lang" value="jql" checked={lang === 'jql'} onChange={() => setLang('jql')} /> JQL
          </label>
          <label>
            <input type="radio" name="lang" value="sql" checked={lang === 'sql'} onChange={() => setLang('sql')} /> SQL
          </label>
        </fieldset>
      </div>
      {lang === 'jql' ? (
        <Editor language="jql" label="JQL query" value={jql} onChange={setJql} fields={fields} onRun={() => run()} id="query-editor" />
      ) : (
        <Editor language="sql" label="SQL statement" value={sqlText} onChange={setSqlText} tables={tables} onRun={() => run()} id="query-editor" />
      )}
      <div class="row">
        <button type="button" class="primary" onClick={() => run()} disabled={running || !db || (lang === 'jql' && !collection)}>
          Run query
        </button>
        <button type="button" onClick={() => run(true)} disabled={running || !db || (lang === 'jql' && !collection)}>
          Explain
        </button>
        <span class="muted">Ctrl+Enter runs · Ctrl+Space completes {lang === 'jql' ? 'fields and operators' : 'tables and columns'}</span>
      </div>
      <ErrorBox error={error} />
      {result && (
        <section aria-labelledby="results-title" class="panel">
          <div class="row spread">
            <h2 id="results-title">Results</h2>
            <span class="muted" role="status">
              {result.summary}
            </span>
            <fieldset class="segmented">
              <legend>Show results as</legend>
              <label>
                <input type="radio" name="view" checked={view === 'table'} onChange={() => setView('table')} /> Table
              </label>
              <label>
                <input type="radio" name="view" checked={view === 'json'} onChange={() => setView('json')} /> JSON
              </label>
            </fieldset>
          </div>
          {result.explain && <ExplainView explain={result.explain} />}
          {result.sqlPlan && (
            <section aria-labelledby="sql-plan-title">
              <h3 id="sql-plan-title">Plan</h3>
              <pre class="plan" tabIndex={0} aria-label="SQL plan">
                {result.sqlPlan}
              </pre>
            </section>
          )}
          {view === 'table' ? <ResultTable columns={result.columns} rows={result.rows} /> : <pre tabIndex={0} aria-label="Results as JSON">{pretty(result.raw)}</pre>}
        </section>
      )}
      <section aria-labelledby="history-title" class="panel">
        <h2 id="history-title">History</h2>
        {history.length === 0 && <p class="muted">Queries you run are kept here (in this browser).</p>}
        <ol class="history">
          {history.slice(0, 15).map((h) => (
            <li key={h.at}>
              <button
                type="button"
                class="link"
                onClick={() => {
                  setLang(h.lang);
                  setDb(h.db);
                  setCollection(h.collection);
                  if (h.lang === 'jql') setJql(h.text);
                  else setSqlText(h.text);
                }}
              >
                <span class="badge">{h.lang.toUpperCase()}</span> {h.db}
                {h.lang === 'jql' ? `/${h.collection}` : ''} <code>{h.text.replace(/\s+/g, ' ').slice(0, 90)}</code>
              </button>
            </li>
          ))}
        </ol>
        {history.length > 0 && (
          <button
            type="button"
            class="small"
            onClick={() => {
              setHistory([]);
              localStorage.removeItem(HISTORY);
            }}
          >
            Clear history
          </button>
        )}
      </section>
    </section>
  );
}

function jqlResult(data: Record<string, unknown>): Result {
  const explain = data.explain as Explain | undefined;
  if (Array.isArray(data.documents)) {
    const docs = data.documents as Record<string, unknown>[];
    const columns = ['_id', '_version', ...fieldPaths(docs, 1).filter((f) => f !== '_id' && f !== '_version')];
    return {
      columns,
      rows: docs.map((d) => columns.map((c) => d[c])),
      raw: data,
      explain,
      summary: `${docs.length} documents${data.next ? ' · more pages (set "after" to next)' : ''}`,
    };
  }
  if (Array.isArray(data.groups)) {
    const groups = data.groups as Record<string, unknown>[];
    const columns = fieldPaths(groups, 1);
    return { columns, rows: groups.map((g) => columns.map((c) => g[c])), raw: data, explain, summary: `${groups.length} groups` };
  }
  if (Array.isArray(data.values)) {
    return { columns: ['value'], rows: (data.values as unknown[]).map((v) => [v]), raw: data, explain, summary: `${data.values.length} distinct values` };
  }
  return { columns: Object.keys(data).filter((k) => k !== 'explain'), rows: [Object.keys(data).filter((k) => k !== 'explain').map((k) => data[k])], raw: data, explain, summary: 'result' };
}

function cell(v: unknown): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  return typeof v === 'object' ? JSON.stringify(v) : String(v);
}

function ResultTable(props: { columns: string[]; rows: unknown[][] }) {
  return (
    <div class="scroll" tabIndex={0} role="region" aria-label="Results table">
      <table class="results">
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th scope="col" key={c}>
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row, i) => (
            <tr key={i}>
              {row.map((v, j) => (
                <td key={j} class="mono">
                  {cell(v)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The plan of each shard as a card with its counters, and the totals. */
function ExplainView(props: { explain: Explain }) {
  const e = props.explain;
  const max = Math.max(1, ...(e.shards ?? []).map((s) => s.documentsExamined ?? 0));
  return (
    <section aria-labelledby="explain-title" class="explain">
      <h3 id="explain-title">Plan</h3>
      <p>
        {e.shardsTouched} shards touched · {e.keysExamined ?? 0} keys and {e.documentsExamined ?? 0} documents examined · {e.matched ?? 0} matched ·{' '}
        {e.millis?.toFixed(1)} ms
      </p>
      <ul class="shards">
        {(e.shards ?? []).map((s) => (
          <li key={s.shard} class="shard-plan" aria-label={`Shard ${s.shard}`}>
            <div class="row spread">
              <strong>Shard {s.shard}</strong>
              <span class={`badge plan-${s.plan}`}>
                {s.plan}
                {s.index ? ` ${s.index}` : ''}
              </span>
            </div>
            <dl>
              <dt>order</dt>
              <dd>{s.order ?? '-'}</dd>
              <dt>keys examined</dt>
              <dd>{s.keysExamined ?? 0}</dd>
              <dt>documents examined</dt>
              <dd>{s.documentsExamined ?? 0}</dd>
              <dt>matched</dt>
              <dd>{s.matched ?? 0}</dd>
              <dt>returned</dt>
              <dd>{s.returned ?? 0}</dd>
              <dt>time</dt>
              <dd>{s.millis?.toFixed(2)} ms</dd>
            </dl>
            <div class="bar" role="img" aria-label={`${s.documentsExamined ?? 0} documents examined`}>
              <svg width="100%" height="8" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">
                <rect x="0" y="0" width={(100 * (s.documentsExamined ?? 0)) / max} height="8" class="bar-fill" />
              </svg>
            </div>
            {s.note && <p class="muted small-text">{s.note}</p>}
          </li>
        ))}
      </ul>
    </section>
  );
}
