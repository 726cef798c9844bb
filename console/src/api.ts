// The console's one way to the node: JSON requests with the signed-in session's bearer token,
// problem documents turned into ApiError, and Server-Sent Events read through fetch (a browser's
// EventSource cannot send an Authorization header).

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly title: string,
    readonly detail: string,
    readonly field: string | undefined,
    readonly body: Record<string, unknown>,
  ) {
    super(detail ? `${title}: ${detail}` : title);
  }

  /** The problem's slug, e.g. `precondition-failed`. */
  get slug(): string {
    return this.type.replace('urn:lumadb:problem:', '');
  }
}

interface Session {
  user: string;
  access: string;
  refresh: string;
  /** When the access token expires, in epoch milliseconds. */
  expiresAt: number;
}

const KEY = 'lumadb.console.session';

let session: Session | null = readSession();
let securityOff = false;
const listeners = new Set<() => void>();

function readSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

function setSession(s: Session | null): void {
  session = s;
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
  listeners.forEach((l) => l());
}

export function onSessionChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function currentUser(): string | null {
  if (securityOff) return '(security off)';
  return session?.user ?? null;
}

export function isSecurityOff(): boolean {
  return securityOff;
}

async function problem(response: Response): Promise<ApiError> {
  let body: Record<string, unknown> = {};
  try {
    body = (await response.json()) as Record<string, unknown>;
  } catch {
    // not a problem document
  }
  return new ApiError(
    response.status,
    String(body.type ?? `http-${response.status}`),
    String(body.title ?? response.statusText ?? 'Request failed'),
    String(body.detail ?? ''),
    body.field === undefined ? undefined : String(body.field),
    body,
  );
}

async function tokenRequest(form: Record<string, string>): Promise<Session> {
  const response = await fetch('/api/v1/_auth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(form),
  });
  if (!response.ok) throw await problem(response);
  const t = (await response.json()) as { access_token: string; refresh_token: string; expires_in: number };
  return {
    user: form.username ?? session?.user ?? '',
    access: t.access_token,
    refresh: t.refresh_token,
    expiresAt: Date.now() + t.expires_in * 1000,
  };
}

/** Whether the node lets anyone in (security off): then no sign-in is needed. */
export async function probeSecurity(): Promise<void> {
  const response = await fetch('/api/v1/_security/whoami');
  if (response.ok) {
    const who = (await response.json()) as { securityEnabled?: boolean };
    securityOff = who.securityEnabled === false;
  }
  listeners.forEach((l) => l());
}

export async function signIn(user: string, password: string): Promise<void> {
  setSession(await tokenRequest({ grant_type: 'password', username: user, password }));
}

export async function signOut(): Promise<void> {
  const s = session;
  setSession(null);
  if (s) {
    // RFC 7009: ends the whole sign-in; failures do not keep the console signed in.
    await fetch('/api/v1/_auth/revoke', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token: s.refresh }),
    }).catch(() => undefined);
  }
}

let refreshing: Promise<void> | null = null;

async function refresh(): Promise<void> {
  const s = session;
  if (!s) throw new ApiError(401, 'unauthorized', 'Signed out', 'sign in again', undefined, {});
  refreshing ??= tokenRequest({ grant_type: 'refresh_token', refresh_token: s.refresh })
    .then((next) => setSession({ ...next, user: s.user }))
    .catch((e) => {
      setSession(null);
      throw e;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

async function authorization(): Promise<Record<string, string>> {
  if (securityOff || !session) return {};
  if (session.expiresAt - Date.now() < 15_000) await refresh();
  return session ? { Authorization: `Bearer ${session.access}` } : {};
}

export interface Answer<T> {
  status: number;
  data: T;
  headers: Headers;
}

/** Sends one request; a 401 renews the token once and tries again. */
export async function request<T = unknown>(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  retried = false,
): Promise<Answer<T>> {
  const init: RequestInit = { method, headers: { ...(await authorization()), ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] ??= 'application/json';
  }
  const response = await fetch(path, init);
  if (response.status === 401 && !retried && session) {
    await refresh();
    return request(method, path, body, headers, true);
  }
  if (!response.ok) throw await problem(response);
  const type = response.headers.get('Content-Type') ?? '';
  const data = (type.includes('json') ? await response.json() : await response.text()) as T;
  return { status: response.status, data, headers: response.headers };
}

export const get = <T = unknown>(path: string) => request<T>('GET', path).then((a) => a.data);

/** `/api/v1/a/b` with each name percent-encoded. */
export function apiPath(...names: string[]): string {
  return '/api/v1' + names.map((n) => '/' + encodeURIComponent(n)).join('');
}

export interface ServerEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Follows a Server-Sent Events stream until `signal` aborts it or the server ends it, resuming
 * from the last event id after a dropped connection or an expired token.
 */
export async function follow(
  path: string,
  onEvent: (e: ServerEvent) => void,
  signal: AbortSignal,
  onState: (state: 'connecting' | 'open' | 'reconnecting' | 'ended', detail?: string) => void,
): Promise<void> {
  let lastId: string | undefined;
  let attempt = 0;
  while (!signal.aborted) {
    onState(attempt === 0 ? 'connecting' : 'reconnecting');
    let ended = false;
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream', ...(await authorization()) };
      if (lastId) headers['Last-Event-ID'] = lastId;
      const response = await fetch(path, { headers, signal });
      if (response.status === 401 && session) {
        await refresh();
        attempt++;
        continue;
      }
      if (!response.ok || !response.body) throw await problem(response);
      onState('open');
      attempt = 0;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const e: ServerEvent = { event: 'message', data: '' };
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') e.event = val;
            else if (field === 'data') data.push(val);
            else if (field === 'id') e.id = val;
          }
          e.data = data.join('\n');
          if (e.id) lastId = e.id;
          if (e.event === 'unauthorized' && session) {
            await refresh();
            break;
          }
          onEvent(e);
          if (e.event === 'dropped' || e.event === 'error' || e.event === 'access-changed') ended = true;
        }
      }
    } catch (e) {
      if (signal.aborted) break;
      if (e instanceof ApiError) {
        onState('ended', e.message);
        return;
      }
    }
    if (ended || signal.aborted) break;
    attempt++;
    await new Promise((r) => setTimeout(r, Math.min(5000, 250 * 2 ** attempt)));
  }
  onState('ended');
}
