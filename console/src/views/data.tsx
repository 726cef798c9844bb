// Databases → collections → documents: browse with paging, create, drop, and edit a document as
// JSON with a version-conditional save.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, apiPath, get, request } from '../api';
import { Editor, jsonObjectError } from '../editor';
import { ConfirmButton, ErrorBox, Link, navigate, pretty, preview, useCollections, useConfirm, useDatabases } from '../ui';

export function DataView(props: { parts: string[] }) {
  const [db, collection] = props.parts;
  if (collection) return <Documents db={db} collection={collection} />;
  if (db) return <Collections db={db} />;
  return <Databases />;
}

function Crumbs(props: { db?: string; collection?: string }) {
  return (
    <nav aria-label="Breadcrumb" class="crumbs">
      <ol>
        <li>
          <Link to="/data" current={!props.db}>
            Databases
          </Link>
        </li>
        {props.db && (
          <li>
            <Link to={`/data/${encodeURIComponent(props.db)}`} current={!props.collection}>
              {props.db}
            </Link>
          </li>
        )}
        {props.collection && (
          <li>
            <span aria-current="page">{props.collection}</span>
          </li>
        )}
      </ol>
    </nav>
  );
}

function Databases() {
  const [refresh, setRefresh] = useState(0);
  const { dbs, error: loadError } = useDatabases(refresh);
  const [name, setName] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [dialog, ask] = useConfirm(setError);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await request('PUT', apiPath(name.trim()));
      setName('');
      setRefresh((r) => r + 1);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="databases-title">
      <Crumbs />
      <h1 id="databases-title">Databases</h1>
      <form class="row" onSubmit={create}>
        <label>
          New database
          <input id="new-database" value={name} onInput={(e) => setName(e.currentTarget.value)} required pattern="[A-Za-z0-9][A-Za-z0-9_\-]{0,63}" />
        </label>
        <button type="submit">Create database</button>
      </form>
      <ErrorBox error={error ?? loadError} />
      <table>
        <caption class="sr-only">Databases</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Collections</th>
            <th scope="col">Created</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {dbs.map((d) => (
            <tr key={d.name}>
              <th scope="row">
                <Link to={`/data/${encodeURIComponent(d.name)}`}>{d.name}</Link>
              </th>
              <td>{d.collectionCount}</td>
              <td>{new Date(d.createdAt).toLocaleString()}</td>
              <td>
                <ConfirmButton
                  verb="Drop"
                  what="database"
                  name={d.name}
                  text={`Every collection and document of ${d.name} is deleted. This cannot be undone.`}
                  ask={ask}
                  action={async () => {
                    await request('DELETE', apiPath(d.name));
                    setRefresh((r) => r + 1);
                  }}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {dialog}
    </section>
  );
}

function Collections(props: { db: string }) {
  const [refresh, setRefresh] = useState(0);
  const { collections, error: loadError } = useCollections(props.db, refresh);
  const [name, setName] = useState('');
  const [shards, setShards] = useState('4');
  const [error, setError] = useState<unknown>(null);
  const [dialog, ask] = useConfirm(setError);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await request('PUT', apiPath(props.db, name.trim()), { shards: Number(shards) });
      setName('');
      setRefresh((r) => r + 1);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="collections-title">
      <Crumbs db={props.db} />
      <h1 id="collections-title">Collections of {props.db}</h1>
      <form class="row" onSubmit={create}>
        <label>
          New collection
          <input id="new-collection" value={name} onInput={(e) => setName(e.currentTarget.value)} required pattern="[A-Za-z0-9][A-Za-z0-9_\-]{0,63}" />
        </label>
        <label>
          Shards
          <input id="new-collection-shards" type="number" min="1" max="256" value={shards} onInput={(e) => setShards(e.currentTarget.value)} />
        </label>
        <button type="submit">Create collection</button>
      </form>
      <ErrorBox error={error ?? loadError} />
      <table>
        <caption class="sr-only">Collections of {props.db}</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Shards</th>
            <th scope="col">Pre-images</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {collections.map((c) => (
            <tr key={c.name}>
              <th scope="row">
                <Link to={`/data/${encodeURIComponent(props.db)}/${encodeURIComponent(c.name)}`}>{c.name}</Link>
              </th>
              <td>{c.shards}</td>
              <td>{c.preImages ? 'yes' : 'no'}</td>
              <td>
                <ConfirmButton
                  verb="Drop"
                  what="collection"
                  name={c.name}
                  text={`Every document of ${props.db}/${c.name} is deleted and its subscribers are ended. This cannot be undone.`}
                  ask={ask}
                  action={async () => {
                    await request('DELETE', apiPath(props.db, c.name));
                    setRefresh((r) => r + 1);
                  }}
                />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {dialog}
    </section>
  );
}

type Doc = Record<string, unknown> & { _id: string; _version: number };

const PAGE = 20;

function Documents(props: { db: string; collection: string }) {
  // cursors[i] is the `after` of page i (page 0 has none).
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const [page, setPage] = useState(0);
  const [docs, setDocs] = useState<Doc[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [refresh, setRefresh] = useState(0);
  const [error, setError] = useState<unknown>(null);
  const [editing, setEditing] = useState<{ id: string; isNew: boolean; key: number } | null>(null);
  const [count, setCount] = useState<number | null>(null);
  const [dialog, ask] = useConfirm(setError);
  const base = apiPath(props.db, props.collection);

  useEffect(() => {
    const after = cursors[page];
    get<{ docs: Doc[]; next: string | null }>(`${base}/_docs?limit=${PAGE}${after ? `&after=${encodeURIComponent(after)}` : ''}`)
      .then((r) => {
        setDocs(r.docs);
        setNext(r.next);
      })
      .catch(setError);
    get<{ documentCount?: number }>(base)
      .then((c) => setCount(c.documentCount ?? null))
      .catch(() => undefined);
  }, [page, refresh, base]);

  const goNext = () => {
    if (!next) return;
    setCursors((c) => [...c.slice(0, page + 1), next]);
    setPage(page + 1);
  };

  return (
    <section aria-labelledby="documents-title">
      <Crumbs db={props.db} collection={props.collection} />
      <h1 id="documents-title">
        Documents of {props.db}/{props.collection}
      </h1>
      <div class="row">
        <button type="button" onClick={() => setEditing({ id: '', isNew: true, key: Date.now() })}>
          New document
        </button>
        <button type="button" onClick={() => navigate('/query')}>
          Query this collection
        </button>
        <span class="muted" aria-live="polite">
          {count !== null ? `${count} documents` : ''} · page {page + 1}
        </span>
      </div>
      <ErrorBox error={error} />
      {editing && (
        <DocumentEditor
          key={editing.key}
          base={base}
          id={editing.id}
          isNew={editing.isNew}
          onClose={() => setEditing(null)}
          onSaved={(id) => {
            // The same editor goes on with the saved document (a new one becomes an existing one).
            setEditing((e) => (e ? { ...e, id, isNew: false } : e));
            setRefresh((r) => r + 1);
          }}
        />
      )}
      <table>
        <caption class="sr-only">Documents, page {page + 1}</caption>
        <thead>
          <tr>
            <th scope="col">_id</th>
            <th scope="col">_version</th>
            <th scope="col">Document</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {docs.map((d) => (
            <tr key={d._id}>
              <th scope="row">{d._id}</th>
              <td>{d._version}</td>
              <td class="mono">{preview(d)}</td>
              <td class="actions">
                <button type="button" class="small" aria-label={`Edit document ${d._id}`} onClick={() => setEditing({ id: d._id, isNew: false, key: Date.now() })}>
                  Edit
                </button>
                <ConfirmButton
                  verb="Delete"
                  what="document"
                  name={d._id}
                  text={`The document ${d._id} (version ${d._version}) is deleted, unless it changed since this page was read.`}
                  ask={ask}
                  action={async () => {
                    await request('DELETE', `${base}/${encodeURIComponent(d._id)}`, undefined, { 'If-Match': `"${d._version}"` });
                    if (editing?.id === d._id) setEditing(null);
                    setRefresh((r) => r + 1);
                  }}
                />
              </td>
            </tr>
          ))}
          {!docs.length && (
            <tr>
              <td colSpan={4} class="muted">
                No documents on this page.
              </td>
            </tr>
          )}
        </tbody>
      </table>
      <nav class="row" aria-label="Pages">
        <button type="button" disabled={page === 0} onClick={() => setPage(page - 1)}>
          Previous page
        </button>
        <button type="button" disabled={!next} onClick={goNext}>
          Next page
        </button>
      </nav>
      {dialog}
    </section>
  );
}

function DocumentEditor(props: { base: string; id: string; isNew: boolean; onClose: () => void; onSaved: (id: string) => void }) {
  const [id, setId] = useState(props.id);
  const [text, setText] = useState(props.isNew ? '{\n  \n}' : '');
  const [version, setVersion] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [conflict, setConflict] = useState<number | null>(null);
  const [status, setStatus] = useState('');
  const parseError = text ? jsonObjectError(text) : null;

  const load = async () => {
    setError(null);
    setConflict(null);
    const doc = await get<Doc>(`${props.base}/${encodeURIComponent(props.id)}`);
    const { _id, _version, ...body } = doc;
    setVersion(_version);
    setText(pretty(body));
    setStatus(`Loaded version ${_version}.`);
  };

  useEffect(() => {
    if (!props.isNew) load().catch(setError);
  }, []);

  const save = async (overwrite = false) => {
    if (parseError) return;
    setError(null);
    setStatus('');
    const body = JSON.parse(text) as Record<string, unknown>;
    delete body._id;
    delete body._version;
    const headers: Record<string, string> = props.isNew ? { 'If-None-Match': '*' } : { 'If-Match': overwrite ? '*' : `"${version}"` };
    try {
      const r = await request<{ _id: string; _version: number }>('PUT', `${props.base}/${encodeURIComponent(id.trim())}`, body, headers);
      setConflict(null);
      setVersion(r.data._version);
      setStatus(`Saved: version ${r.data._version}.`);
      props.onSaved(r.data._id);
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) {
        setConflict(typeof e.body.currentVersion === 'number' ? e.body.currentVersion : -1);
      } else {
        setError(e);
      }
    }
  };

  return (
    <section class="panel" aria-labelledby="editor-title">
      <h2 id="editor-title">{props.isNew ? 'New document' : `Document ${props.id}`}</h2>
      <div class="row">
        <label>
          _id
          <input id="document-id" value={id} readOnly={!props.isNew} onInput={(e) => setId(e.currentTarget.value)} required />
        </label>
        {version !== null && <span class="muted">version {version}</span>}
      </div>
      <Editor language="json" label="Document JSON" value={text} onChange={setText} onRun={() => save()} id="document-editor" />
      <p class={parseError ? 'error' : 'muted'} id="document-validation" role="status">
        {parseError ? `Not valid JSON: ${parseError}` : 'Valid JSON. Ctrl+Enter saves.'}
      </p>
      {conflict !== null && (
        <div class="conflict" role="alert">
          <strong>Conflict:</strong> the document changed since you loaded version {version}
          {conflict >= 0 ? `; it is now at version ${conflict}` : ''}. Your edit was not saved.
          <div class="row">
            <button type="button" onClick={() => load().catch(setError)}>
              Reload the current version
            </button>
            <button type="button" class="danger" onClick={() => save(true)}>
              Overwrite it with my edit
            </button>
          </div>
        </div>
      )}
      <ErrorBox error={error} />
      <p class="muted" role="status">
        {status}
      </p>
      <div class="row">
        <button type="button" class="primary" disabled={!!parseError || !id.trim()} onClick={() => save()}>
          {props.isNew ? 'Create document' : 'Save document'}
        </button>
        <button type="button" onClick={props.onClose}>
          Close editor
        </button>
      </div>
    </section>
  );
}
