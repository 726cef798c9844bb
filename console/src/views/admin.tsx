// Indexes with build progress, cluster members and shard placement, metrics charts from the
// node's /metrics, and users, API keys and roles.
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiPath, get, request } from '../api';
import { ConfirmButton, ErrorBox, TargetPicker, pretty, useConfirm, useTarget } from '../ui';

interface IndexInfo {
  name: string;
  fields: { path: string; order: string }[];
  state: string;
  progress?: { indexed?: number; total?: number };
}

export function IndexesView() {
  const { db, setDb, collection, setCollection } = useTarget('indexes');
  const [indexes, setIndexes] = useState<IndexInfo[]>([]);
  const [name, setName] = useState('');
  const [fields, setFields] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const [dialog, ask] = useConfirm(setError);

  useEffect(() => {
    if (!db || !collection) return;
    get<{ indexes: IndexInfo[] }>(`${apiPath(db, collection)}/_indexes`)
      .then((r) => setIndexes(r.indexes))
      .catch(setError);
  }, [db, collection, tick]);
  // Follow building indexes until they are ready.
  useEffect(() => {
    if (!indexes.some((i) => i.state === 'building')) return;
    const t = setTimeout(() => setTick((n) => n + 1), 1000);
    return () => clearTimeout(t);
  }, [indexes]);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const list = fields.split(',').map((f) => f.trim()).filter(Boolean);
      await request('PUT', `${apiPath(db, collection)}/_indexes/${encodeURIComponent(name.trim())}`, { fields: list });
      setName('');
      setFields('');
      setTick((n) => n + 1);
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="indexes-title">
      <h1 id="indexes-title">Indexes</h1>
      <TargetPicker idPrefix="indexes" db={db} collection={collection} onDb={setDb} onCollection={setCollection} />
      <form class="row" onSubmit={create}>
        <label>
          Index name
          <input id="index-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
        </label>
        <label>
          Fields (comma-separated, -field for descending)
          <input id="index-fields" value={fields} onInput={(e) => setFields(e.currentTarget.value)} required />
        </label>
        <button type="submit" disabled={!collection}>
          Create index
        </button>
      </form>
      <ErrorBox error={error} />
      <table>
        <caption class="sr-only">Indexes</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Fields</th>
            <th scope="col">State</th>
            <th scope="col">Progress</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {indexes.map((i) => {
            const indexed = i.progress?.indexed ?? 0;
            const total = i.progress?.total ?? 0;
            return (
              <tr key={i.name}>
                <th scope="row">{i.name}</th>
                <td class="mono">{i.fields.map((f) => (f.order === 'desc' ? '-' : '') + f.path).join(', ')}</td>
                <td>{i.state}</td>
                <td>
                  <progress max={Math.max(total, 1)} value={i.state === 'ready' ? Math.max(total, 1) : indexed} aria-label={`Build progress of ${i.name}`} />{' '}
                  {indexed}/{total}
                </td>
                <td>
                  <ConfirmButton
                    verb="Drop"
                    what="index"
                    name={i.name}
                    text={'Queries that used it fall back to other plans.'}
                    ask={ask}
                    action={async () => {
                      await request('DELETE', `${apiPath(db, collection)}/_indexes/${encodeURIComponent(i.name)}`);
                      setTick((n) => n + 1);
                    }}
                  />
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {dialog}
    </section>
  );
}

interface Member {
  address: string;
  status: string;
  roles: string[];
  reachable: boolean;
  shards: string[];
}

export function ClusterView() {
  const [cluster, setCluster] = useState<{ self: string; leader: string; members: Member[] } | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const load = () => get<{ self: string; leader: string; members: Member[] }>('/api/v1/_cluster').then(setCluster).catch(setError);
    load();
    const t = setInterval(load, 5000);
    return () => clearInterval(t);
  }, []);
  return (
    <section aria-labelledby="cluster-title">
      <h1 id="cluster-title">Cluster</h1>
      <ErrorBox error={error} />
      {cluster && (
        <>
          <p>
            This node: <code>{cluster.self}</code> · leader: <code>{cluster.leader}</code>
          </p>
          <table>
            <caption class="sr-only">Members</caption>
            <thead>
              <tr>
                <th scope="col">Member</th>
                <th scope="col">Status</th>
                <th scope="col">Reachable</th>
                <th scope="col">Shards</th>
              </tr>
            </thead>
            <tbody>
              {cluster.members.map((m) => (
                <tr key={m.address}>
                  <th scope="row">{m.address}</th>
                  <td>{m.status}</td>
                  <td>{m.reachable ? 'yes' : 'no'}</td>
                  <td>
                    <ul class="chips" aria-label={`Shards on ${m.address}`}>
                      {m.shards.map((s) => (
                        <li key={s} class="chip">
                          {s}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}

// ---- metrics: Prometheus text, sampled every 2 s, drawn as small line charts

type Samples = Map<string, number>;

function parseMetrics(text: string): Samples {
  const out: Samples = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    out.set(m[1] + (m[2] ?? ''), Number(m[3]));
  }
  return out;
}

function total(s: Samples, name: string): number {
  let sum = 0;
  for (const [k, v] of s) if (k === name || k.startsWith(name + '{')) sum += v;
  return sum;
}

interface Point {
  t: number;
  requestRate: number;
  latencyMs: number;
  journalMs: number;
  subscribers: number;
}

export function MetricsView() {
  const [points, setPoints] = useState<Point[]>([]);
  const [error, setError] = useState<unknown>(null);
  const last = useRef<{ t: number; s: Samples } | null>(null);

  useEffect(() => {
    const sample = async () => {
      try {
        const text = await get<string>('/metrics');
        const s = parseMetrics(text);
        const t = Date.now();
        const prev = last.current;
        last.current = { t, s };
        if (!prev) return;
        const dt = (t - prev.t) / 1000;
        const d = (name: string) => total(s, name) - total(prev.s, name);
        const ratio = (sum: string, count: string) => (d(count) > 0 ? (1000 * d(sum)) / d(count) : 0);
        const point: Point = {
          t,
          requestRate: d('lumadb_http_requests_total') / dt,
          latencyMs: ratio('lumadb_http_request_latency_seconds_sum', 'lumadb_http_request_latency_seconds_count'),
          journalMs: ratio('lumadb_journal_write_latency_seconds_sum', 'lumadb_journal_write_latency_seconds_count'),
          subscribers: total(s, 'lumadb_cdc_subscriptions') + total(s, 'lumadb_topics_subscribers'),
        };
        setPoints((p) => [...p, point].slice(-60));
      } catch (e) {
        setError(e);
      }
    };
    sample();
    const timer = setInterval(sample, 2000);
    return () => clearInterval(timer);
  }, []);

  return (
    <section aria-labelledby="metrics-title">
      <h1 id="metrics-title">Metrics</h1>
      <p class="muted">From this node's /metrics, every 2 seconds (the last two minutes).</p>
      <ErrorBox error={error} />
      <div class="charts">
        <Chart title="HTTP requests per second" values={points.map((p) => p.requestRate)} unit="req/s" />
        <Chart title="Mean HTTP request latency" values={points.map((p) => p.latencyMs)} unit="ms" />
        <Chart title="Mean journal commit latency" values={points.map((p) => p.journalMs)} unit="ms" />
        <Chart title="Subscribers (change streams, live queries, topics)" values={points.map((p) => p.subscribers)} unit="" />
      </div>
    </section>
  );
}

function Chart(props: { title: string; values: number[]; unit: string }) {
  const w = 300;
  const h = 100;
  const max = Math.max(1e-9, ...props.values);
  const n = Math.max(props.values.length - 1, 1);
  const path = props.values.map((v, i) => `${i === 0 ? 'M' : 'L'}${((i / n) * w).toFixed(1)},${(h - (v / max) * (h - 6) - 3).toFixed(1)}`).join(' ');
  const latest = props.values.at(-1);
  const shown = latest === undefined ? 'waiting for samples' : `${latest.toFixed(latest < 10 ? 2 : 0)} ${props.unit}`;
  return (
    <figure class="chart panel">
      <figcaption>
        {props.title}: <strong>{shown}</strong>
      </figcaption>
      <svg viewBox={`0 0 ${w} ${h}`} role="img" aria-label={`${props.title}, latest ${shown}, peak ${max.toFixed(2)} ${props.unit}`}>
        <line x1="0" y1={h - 3} x2={w} y2={h - 3} class="axis" />
        <path d={path} class="line" />
      </svg>
    </figure>
  );
}

// ---- security

interface User {
  name: string;
  roles: unknown[];
  created?: string;
}
interface Key {
  id: string;
  name: string;
  owner: string;
  roles: unknown[];
  expires?: string | null;
}
interface Role {
  name: string;
  builtIn: boolean;
  grants: { resource: string; actions: string[] }[];
}

function roleText(roles: unknown[]): string {
  return roles.map((r) => (typeof r === 'string' ? r : `${(r as { role: string }).role} in ${(r as { database: string }).database}`)).join(', ');
}

export function SecurityView() {
  const [users, setUsers] = useState<User[]>([]);
  const [keys, setKeys] = useState<Key[]>([]);
  const [roles, setRoles] = useState<Role[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [tick, setTick] = useState(0);
  const [userName, setUserName] = useState('');
  const [password, setPassword] = useState('');
  const [userRole, setUserRole] = useState('read');
  const [keyName, setKeyName] = useState('');
  const [keyRole, setKeyRole] = useState('read');
  const [secret, setSecret] = useState('');
  const [dialog, ask] = useConfirm(setError);

  useEffect(() => {
    Promise.all([
      get<{ users: User[] }>('/api/v1/_security/users'),
      get<{ keys: Key[] }>('/api/v1/_security/keys'),
      get<{ roles: Role[] }>('/api/v1/_security/roles'),
    ])
      .then(([u, k, r]) => {
        setUsers(u.users);
        setKeys(k.keys);
        setRoles(r.roles);
      })
      .catch(setError);
  }, [tick]);

  const act = (f: () => Promise<void>) => async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await f();
      setTick((n) => n + 1);
    } catch (err) {
      setError(err);
    }
  };

  const roleOptions = roles.map((r) => (
    <option key={r.name} value={r.name}>
      {r.name}
    </option>
  ));

  return (
    <section aria-labelledby="security-title">
      <h1 id="security-title">Users, keys and roles</h1>
      <ErrorBox error={error} />
      <section class="panel" aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        <form
          class="row"
          onSubmit={act(async () => {
            await request('PUT', `/api/v1/_security/users/${encodeURIComponent(userName)}`, { password, roles: [userRole] });
            setUserName('');
            setPassword('');
          })}
        >
          <label>
            User name
            <input id="user-name" value={userName} onInput={(e) => setUserName(e.currentTarget.value)} required />
          </label>
          <label>
            Password
            <input id="user-password" type="password" autocomplete="new-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
          </label>
          <label>
            Role
            <select id="user-role" value={userRole} onChange={(e) => setUserRole(e.currentTarget.value)}>
              {roleOptions}
            </select>
          </label>
          <button type="submit">Create or update user</button>
        </form>
        <table>
          <caption class="sr-only">Users</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Roles</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {users.map((u) => (
              <tr key={u.name}>
                <th scope="row">{u.name}</th>
                <td>{roleText(u.roles)}</td>
                <td>
                  <ConfirmButton
                    verb="Drop"
                    what="user"
                    name={u.name}
                    text={`${u.name} can no longer sign in, and its streams end.`}
                    ask={ask}
                    action={async () => {
                      await request('DELETE', `/api/v1/_security/users/${encodeURIComponent(u.name)}`);
                      setTick((n) => n + 1);
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="panel" aria-labelledby="keys-title">
        <h2 id="keys-title">API keys</h2>
        <form
          class="row"
          onSubmit={act(async () => {
            const r = await request<{ secret: string }>('POST', '/api/v1/_security/keys', { name: keyName, roles: [keyRole] });
            setSecret(r.data.secret);
            setKeyName('');
          })}
        >
          <label>
            Key name
            <input id="key-name" value={keyName} onInput={(e) => setKeyName(e.currentTarget.value)} required />
          </label>
          <label>
            Role
            <select id="key-role" value={keyRole} onChange={(e) => setKeyRole(e.currentTarget.value)}>
              {roleOptions}
            </select>
          </label>
          <button type="submit">Create API key</button>
        </form>
        {secret && (
          <p role="status" class="conflict">
            The new key's secret, shown only now: <code>{secret}</code>
          </p>
        )}
        <table>
          <caption class="sr-only">API keys</caption>
          <thead>
            <tr>
              <th scope="col">Id</th>
              <th scope="col">Name</th>
              <th scope="col">Owner</th>
              <th scope="col">Roles</th>
              <th scope="col">Expires</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => (
              <tr key={k.id}>
                <th scope="row" class="mono">
                  {k.id}
                </th>
                <td>{k.name}</td>
                <td>{k.owner}</td>
                <td>{roleText(k.roles ?? [])}</td>
                <td>{k.expires ?? 'never'}</td>
                <td>
                  <ConfirmButton
                    verb="Revoke"
                    what="key"
                    name={k.name}
                    text={'Services using it are refused from their next request.'}
                    ask={ask}
                    action={async () => {
                      await request('DELETE', `/api/v1/_security/keys/${encodeURIComponent(k.id)}`);
                      setTick((n) => n + 1);
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section class="panel" aria-labelledby="roles-title">
        <h2 id="roles-title">Roles</h2>
        <table>
          <caption class="sr-only">Roles</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Built in</th>
              <th scope="col">Grants</th>
            </tr>
          </thead>
          <tbody>
            {roles.map((r) => (
              <tr key={r.name}>
                <th scope="row">{r.name}</th>
                <td>{r.builtIn ? 'yes' : 'no'}</td>
                <td class="mono">{r.grants.map((g) => `${g.actions.join(' ')} on ${g.resource}`).join('; ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <details>
          <summary>Roles as JSON</summary>
          <pre tabIndex={0}>{pretty(roles)}</pre>
        </details>
      </section>
      {dialog}
    </section>
  );
}
