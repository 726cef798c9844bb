// Small shared pieces: the router, a confirmation dialog, error display, pickers.
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, apiPath, get } from './api';

// ---- router: paths under /console, History API (the node answers index.html for them)

const BASE = '/console';
const routeListeners = new Set<() => void>();

export function currentRoute(): string {
  const p = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '/';
  return p === '' ? '/' : p;
}

export function navigate(route: string): void {
  history.pushState(null, '', BASE + (route === '/' ? '' : route));
  routeListeners.forEach((l) => l());
}

window.addEventListener('popstate', () => routeListeners.forEach((l) => l()));

export function useRoute(): string {
  const [route, setRoute] = useState(currentRoute());
  useEffect(() => {
    const l = () => setRoute(currentRoute());
    routeListeners.add(l);
    return () => routeListeners.delete(l);
  }, []);
  return route;
}

export function Link(props: { to: string; children: ComponentChildren; class?: string; current?: boolean; label?: string }) {
  return (
    <a
      href={BASE + (props.to === '/' ? '' : props.to)}
      class={props.class}
      aria-current={props.current ? 'page' : undefined}
      aria-label={props.label}
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        navigate(props.to);
      }}
    >
      {props.children}
    </a>
  );
}

// ---- errors

export function describe(e: unknown): string {
  if (e instanceof ApiError) return `${e.status} ${e.slug}: ${e.detail || e.title}`;
  return e instanceof Error ? e.message : String(e);
}

export function ErrorBox(props: { error: unknown }) {
  if (!props.error) return null;
  return (
    <div class="error" role="alert">
      {describe(props.error)}
    </div>
  );
}

// ---- confirmation: a modal <dialog> (focus trapped, Escape cancels)

export function Confirm(props: {
  open: boolean;
  title: string;
  children: ComponentChildren;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (!d) return;
    if (props.open && !d.open) d.showModal();
    if (!props.open && d.open) d.close();
  }, [props.open]);
  return (
    <dialog ref={dialog} aria-labelledby="confirm-title" onClose={() => props.open && props.onCancel()}>
      <h2 id="confirm-title">{props.title}</h2>
      <div>{props.children}</div>
      <div class="row end">
        <button type="button" onClick={props.onCancel} autofocus>
          Cancel
        </button>
        <button type="button" class="danger" onClick={props.onConfirm}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

/** A pending confirmation: what to ask and what to do. */
export interface Ask {
  title: string;
  text: string;
  confirmLabel: string;
  action: () => Promise<void>;
}

export function useConfirm(onError: (e: unknown) => void) {
  const [ask, setAsk] = useState<Ask | null>(null);
  const dialog = (
    <Confirm
      open={ask !== null}
      title={ask?.title ?? ''}
      confirmLabel={ask?.confirmLabel ?? 'Confirm'}
      onCancel={() => setAsk(null)}
      onConfirm={() => {
        const a = ask;
        setAsk(null);
        a?.action().catch(onError);
      }}
    >
      <p>{ask?.text}</p>
    </Confirm>
  );
  return [dialog, setAsk] as const;
}

/**
 * A row's destructive action: a small danger button named "<verb> <what> <name>" (its accessible
 * name) that asks first, through {@link useConfirm}'s ask, and runs `action` only once confirmed.
 */
export function ConfirmButton(props: {
  verb: string;
  what: string;
  name: string;
  text: string;
  ask: (a: Ask) => void;
  action: () => Promise<void>;
}) {
  const subject = `${props.verb} ${props.what} ${props.name}`;
  return (
    <button
      type="button"
      class="danger small"
      aria-label={subject}
      onClick={() =>
        props.ask({ title: `${subject}?`, text: props.text, confirmLabel: `${props.verb} ${props.what}`, action: props.action })
      }
    >
      {props.verb}
    </button>
  );
}

// ---- database and collection pickers

export interface DatabaseInfo {
  name: string;
  collectionCount: number;
  createdAt: string;
}

export interface CollectionInfo {
  database: string;
  name: string;
  shards: number;
  preImages: boolean;
  createdAt: string;
  documentCount?: number;
}

export function useDatabases(refreshKey = 0) {
  const [dbs, setDbs] = useState<DatabaseInfo[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    get<{ databases: DatabaseInfo[] }>('/api/v1')
      .then((r) => setDbs(r.databases))
      .catch(setError);
  }, [refreshKey]);
  return { dbs, error };
}

export function useCollections(db: string, refreshKey = 0) {
  const [collections, setCollections] = useState<CollectionInfo[]>([]);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    if (!db) return setCollections([]);
    get<{ collections: CollectionInfo[] }>(apiPath(db))
      .then((r) => setCollections(r.collections ?? []))
      .catch(setError);
  }, [db, refreshKey]);
  return { collections, error };
}

/** Database and collection selects, remembered for the session. */
export function useTarget(name: string) {
  const [db, setDb] = useState(sessionStorage.getItem(`lumadb.console.${name}.db`) ?? '');
  const [collection, setCollection] = useState(sessionStorage.getItem(`lumadb.console.${name}.collection`) ?? '');
  useEffect(() => {
    sessionStorage.setItem(`lumadb.console.${name}.db`, db);
    sessionStorage.setItem(`lumadb.console.${name}.collection`, collection);
  }, [db, collection]);
  return { db, setDb, collection, setCollection };
}

export function TargetPicker(props: {
  idPrefix: string;
  db: string;
  collection: string;
  onDb: (db: string) => void;
  onCollection: (c: string) => void;
}) {
  const { dbs } = useDatabases();
  const { collections } = useCollections(props.db);
  useEffect(() => {
    if (!props.db && dbs.length) props.onDb(dbs.find((d) => d.name !== 'system')?.name ?? dbs[0].name);
  }, [dbs]);
  useEffect(() => {
    if (collections.length && !collections.some((c) => c.name === props.collection)) props.onCollection(collections[0].name);
  }, [collections]);
  return (
    <div class="row">
      <label>
        Database
        <select id={`${props.idPrefix}-db`} value={props.db} onChange={(e) => props.onDb(e.currentTarget.value)}>
          {!props.db && <option value="">choose…</option>}
          {dbs.map((d) => (
            <option key={d.name} value={d.name}>
              {d.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        Collection
        <select id={`${props.idPrefix}-collection`} value={props.collection} onChange={(e) => props.onCollection(e.currentTarget.value)}>
          {!collections.length && <option value="">none</option>}
          {collections.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

export function pretty(v: unknown): string {
  return JSON.stringify(v, null, 2);
}

export function preview(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 120 ? s.slice(0, 117) + '…' : s;
}
