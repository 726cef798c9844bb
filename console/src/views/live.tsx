// Live: a live query whose rows appear, change and disappear as the collection changes, and a
// change stream tail with its resume token.
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiPath, follow, type ServerEvent } from '../api';
import { Editor, jsonObjectError } from '../editor';
import { ErrorBox, TargetPicker, preview, useTarget } from '../ui';

interface Row {
  id: string;
  version: number;
  doc: unknown;
  flash: 'added' | 'changed' | 'removed' | null;
}

export function LiveView() {
  const { db, setDb, collection, setCollection } = useTarget('live');
  return (
    <section aria-labelledby="live-title">
      <h1 id="live-title">Live</h1>
      <TargetPicker idPrefix="live" db={db} collection={collection} onDb={setDb} onCollection={setCollection} />
      <LiveQuery db={db} collection={collection} />
      <ChangeTail db={db} collection={collection} />
    </section>
  );
}

/**
 * One followed stream at a time: its state and error; `start` stops the one before, and `stop`,
 * an unmount or a change of collection ends it.
 */
function useFollow(target: string) {
  const [state, setState] = useState('stopped');
  const [error, setError] = useState<unknown>(null);
  const abort = useRef<AbortController | null>(null);
  const stop = () => {
    abort.current?.abort();
    abort.current = null;
    setState('stopped');
  };
  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => stop(), [target]);
  const start = (path: string, onEvent: (e: ServerEvent) => void) => {
    stop();
    setError(null);
    const controller = new AbortController();
    abort.current = controller;
    follow(path, onEvent, controller.signal, (s, detail) => {
      setState(s);
      if (detail) setError(new Error(detail));
    });
  };
  return { state, error, setError, start, stop, running: state !== 'stopped' && state !== 'ended' };
}

function LiveQuery(props: { db: string; collection: string }) {
  const [filter, setFilter] = useState('{}');
  const [rows, setRows] = useState<Map<string, Row>>(new Map());
  const [token, setToken] = useState('');
  const [announce, setAnnounce] = useState('');
  const { state, error, setError, start: followPath, stop, running } = useFollow(`${props.db}/${props.collection}`);
  const parseError = jsonObjectError(filter);

  const update = (f: (m: Map<string, Row>) => void) =>
    setRows((prev) => {
      const next = new Map(prev);
      f(next);
      return next;
    });

  const unflash = (id: string, removed: boolean) =>
    setTimeout(
      () =>
        update((m) => {
          const r = m.get(id);
          if (!r) return;
          if (removed && r.flash === 'removed') m.delete(id);
          else if (!removed) m.set(id, { ...r, flash: null });
        }),
      removed ? 1500 : 2500,
    );

  const start = () => {
    setRows(new Map());
    const params = new URLSearchParams({ filter: JSON.stringify(JSON.parse(filter)) });
    followPath(
      `${apiPath(props.db, props.collection)}/_live?${params}`,
      (e) => {
        const data = e.data ? JSON.parse(e.data) : {};
        switch (e.event) {
          case 'result':
            update((m) => m.set(data._id, { id: data._id, version: data._version, doc: data, flash: null }));
            break;
          case 'ready':
            setToken(data.token);
            setAnnounce(`Live query ready with ${data.count} rows.`);
            break;
          case 'added':
          case 'changed':
            update((m) => m.set(data.id, { id: data.id, version: data.version, doc: data.document, flash: e.event as 'added' | 'changed' }));
            setToken(data.token);
            setAnnounce(`${data.id} ${e.event}.`);
            unflash(data.id, false);
            break;
          case 'removed':
            update((m) => {
              const r = m.get(data.id);
              if (r) m.set(data.id, { ...r, version: data.version, flash: 'removed' });
            });
            setToken(data.token);
            setAnnounce(`${data.id} removed.`);
            unflash(data.id, true);
            break;
          case 'dropped':
          case 'error':
          case 'access-changed':
            setError(new Error(`${e.event}: ${data.detail ?? data.message ?? e.data}`));
            break;
        }
      },
    );
  };

  const list = [...rows.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return (
    <section aria-labelledby="live-query-title" class="panel">
      <h2 id="live-query-title">Live query</h2>
      <Editor language="jql" label="Live query filter" value={filter} onChange={setFilter} onRun={start} id="live-filter" />
      {parseError && <p class="error">Not valid JSON: {parseError}</p>}
      <div class="row">
        <button type="button" class="primary" onClick={start} disabled={!!parseError || !props.collection}>
          {running ? 'Restart live query' : 'Start live query'}
        </button>
        <button type="button" onClick={stop} disabled={!running}>
          Stop live query
        </button>
        <span class="status" role="status" id="live-state">
          {state}
        </span>
        <span class="muted">
          position <code id="live-token">{token || '—'}</code>
        </span>
      </div>
      <p class="sr-only" aria-live="polite">
        {announce}
      </p>
      <ErrorBox error={error} />
      <table id="live-rows">
        <caption class="sr-only">Live query rows</caption>
        <thead>
          <tr>
            <th scope="col">_id</th>
            <th scope="col">_version</th>
            <th scope="col">Document</th>
          </tr>
        </thead>
        <tbody>
          {list.map((r) => (
            <tr key={r.id} class={r.flash ? `flash-${r.flash}` : undefined} data-state={r.flash ?? 'steady'}>
              <th scope="row">{r.id}</th>
              <td>{r.version}</td>
              <td class="mono">
                {r.flash && <span class="sr-only">{r.flash}: </span>}
                {preview(r.doc)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted">{list.filter((r) => r.flash !== 'removed').length} rows</p>
    </section>
  );
}

interface Change {
  op: string;
  id: string;
  version: number;
  token: string;
  shard: number;
  after: unknown;
}

function ChangeTail(props: { db: string; collection: string }) {
  const [from, setFrom] = useState('now');
  const [changes, setChanges] = useState<Change[]>([]);
  const [token, setToken] = useState('');
  const { state, error, setError, start: followPath, stop, running } = useFollow(`${props.db}/${props.collection}`);

  const start = () => {
    setChanges([]);
    followPath(
      `${apiPath(props.db, props.collection)}/_changes?from=${encodeURIComponent(from.trim() || 'now')}`,
      (e) => {
        const data = e.data ? JSON.parse(e.data) : {};
        if (e.event === 'subscribed') setToken(data.token);
        else if (e.event === 'change') {
          setToken(data.token);
          setChanges((c) =>
            [{ op: data.op, id: data.source?.id, version: data.source?.version, token: data.token, shard: data.source?.shard, after: data.after }, ...c].slice(0, 200),
          );
        } else if (e.event === 'overflow') setToken(data.token);
        else if (e.event === 'error' || e.event === 'dropped') setError(new Error(`${e.event}: ${data.detail ?? data.message ?? e.data}`));
      },
    );
  };
  const ops: Record<string, string> = { c: 'create', u: 'update', d: 'delete' };

  return (
    <section aria-labelledby="tail-title" class="panel">
      <h2 id="tail-title">Change stream</h2>
      <div class="row">
        <label>
          From (now, beginning or a resume token)
          <input id="tail-from" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <button type="button" class="primary" onClick={start} disabled={!props.collection}>
          {running ? 'Restart tail' : 'Start tail'}
        </button>
        <button type="button" onClick={stop} disabled={!running}>
          Stop tail
        </button>
        <button type="button" onClick={() => setFrom(token)} disabled={!token}>
          Resume from here later
        </button>
        <span class="status" role="status">
          {state}
        </span>
      </div>
      <p>
        Resume token: <code id="tail-token">{token || '—'}</code>
      </p>
      <ErrorBox error={error} />
      <table id="tail-changes">
        <caption class="sr-only">Changes, newest first</caption>
        <thead>
          <tr>
            <th scope="col">op</th>
            <th scope="col">_id</th>
            <th scope="col">version</th>
            <th scope="col">shard</th>
            <th scope="col">token</th>
            <th scope="col">after</th>
          </tr>
        </thead>
        <tbody>
          {changes.map((c) => (
            <tr key={c.token}>
              <td>
                <span class={`badge op-${c.op}`}>{ops[c.op] ?? c.op}</span>
              </td>
              <th scope="row">{c.id}</th>
              <td>{c.version}</td>
              <td>{c.shard}</td>
              <td class="mono">{c.token}</td>
              <td class="mono">{preview(c.after)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
