// What the InfluxDB client tests share: the node the IT started (LUMADB_URL and credentials from the
// environment), a fresh database and time-series collection per test, reading every point back
// through _tsquery with integers kept exact, and a recording proxy that shows what a client sent.

import assert from 'node:assert/strict';
import http from 'node:http';
import { randomBytes } from 'node:crypto';

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: these tests run against the node InfluxClientIT starts`);
  }
  return value;
}

export const BASE_URL = required('LUMADB_URL').replace(/\/$/, '');
export const ADMIN_KEY = required('LUMADB_API_KEY');
export const ADMIN_USER = required('LUMADB_USER');
export const ADMIN_PASSWORD = required('LUMADB_PASSWORD');

/** A name no other test (or earlier run on the same node) uses: letters, digits, '_' and '-'. */
export function unique(prefix) {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** LumaDB's own API as the suite's admin key; returns {status, text, json}. Fails on a status other than `expect`. */
export async function api(method, path, body, expect = [200, 201, 204]) {
  const response = await fetch(BASE_URL + path, {
    method,
    headers: {
      Authorization: `Bearer ${ADMIN_KEY}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  if (!expect.includes(response.status)) {
    assert.fail(`${method} ${path} answered ${response.status}: ${text}`);
  }
  return { status: response.status, text, json: text ? parseExact(text) : undefined };
}

/** A new database holding one new time-series collection (nanosecond precision, two shards). */
export async function timeSeriesCollection(prefix) {
  const db = unique(prefix);
  const collection = 'points';
  await api('PUT', `/api/v1/${db}`);
  await api('PUT', `/api/v1/${db}/${collection}`, {
    kind: 'timeseries',
    shards: 2,
    timeseries: { precision: 'ns' },
  });
  return { db, collection, bucket: `${db}/${collection}` };
}

/** An API key that may read and write `db` only: what an InfluxDB client gets as its token. */
export async function databaseKey(db) {
  const created = await api('POST', '/api/v1/_security/keys', {
    name: `influx client writing ${db}`,
    roles: [{ role: 'readWrite', database: db }],
  });
  assert.equal(typeof created.json.secret, 'string', `a key without a secret: ${created.text}`);
  return created.json.secret;
}

/** A user that may read and write `db` only, for InfluxDB 1.x's username and password. */
export async function databaseUser(db) {
  const name = unique('influx-v1');
  const password = `pw-${randomBytes(12).toString('hex')}`;
  await api('PUT', `/api/v1/_security/users/${name}`, {
    password,
    roles: [{ role: 'readWrite', database: db }],
  });
  return { name, password };
}

// ---- reading back

/** Every row of the collection from 1900 to 2200, raw, as canonical points (see `canonical`). */
export async function readBack({ db, collection }) {
  const answer = await api('POST', `/api/v1/${db}/${collection}/_tsquery`, {
    from: '1900-01-01T00:00:00Z',
    to: '2200-01-01T00:00:00Z',
    limit: 10000,
  });
  const body = answer.json;
  assert.equal(body.truncated, false, 'the read-back was truncated: more than 10000 points?');
  const points = [];
  for (const group of body.groups) {
    for (const row of group.rows) {
      // Fields named like the row's own members come in a "fields" object (see TsQueryMerge).
      const { time, measurement, tags, fields: reserved, ...fields } = row;
      points.push(canonical({ measurement, tags, fields: { ...fields, ...reserved }, time: nanos(time) }));
    }
  }
  return sorted(points);
}

/**
 * A point as the tests compare it: tags and fields by name, each field value tagged with its
 * JSON type ({integer: 5n}, {float: 1.5}, {boolean: true}, {string: "x"}), the time a BigInt of
 * nanoseconds. JSON does not tell signed from unsigned integers: both are {integer}.
 */
export function canonical({ measurement, tags, fields, time }) {
  const byName = (o) => Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const typed = {};
  for (const [name, value] of Object.entries(fields)) {
    typed[name] = typeOf(value);
  }
  return { measurement, tags: byName(tags ?? {}), fields: byName(typed), time: BigInt(time) };
}

/** A value as parsed by `parseExact`, or as a test writes it (BigInt integer, number float), tagged with its type. */
function typeOf(value) {
  if (value instanceof Float) return { float: value.value };
  if (typeof value === 'bigint') return { integer: value };
  if (typeof value === 'number') return { float: value };
  if (typeof value === 'boolean') return { boolean: value };
  if (typeof value === 'string') return { string: value };
  if (value && typeof value === 'object' && Object.keys(value).length === 1) return value; // typed already
  throw new Error(`not a field value: ${String(value)}`);
}

/** Points in one order (by measurement, tags, time, then fields), to compare sets of points as arrays. */
export function sorted(points) {
  const key = (p) => stringify(p);
  return [...points].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** JSON with BigInts written as their digits and an `n`, for sort keys and messages. */
export function stringify(value) {
  return JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));
}

/** Asserts that two lists of canonical points hold the same points, showing which differ when not. */
export function assertSamePoints(actual, expected, what) {
  const a = sorted(actual).map(stringify);
  const e = sorted(expected).map(stringify);
  const missing = e.filter((p) => !a.includes(p));
  const extra = a.filter((p) => !e.includes(p));
  assert.deepEqual(
    { missing, extra, count: a.length },
    { missing: [], extra: [], count: e.length },
    `${what}: the points read back differ from those written`,
  );
}

/** RFC 3339 in UTC with up to nine fraction digits ("2026-12-01T00:00:00.000000001Z") as BigInt nanoseconds. */
export function nanos(rfc3339) {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(rfc3339);
  assert.ok(m, `not an RFC 3339 UTC time: ${rfc3339}`);
  const seconds = Date.parse(`${m[1]}Z`);
  assert.ok(Number.isFinite(seconds), `not a time: ${rfc3339}`);
  return BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'));
}

/** A float read from JSON (a number literal with a fraction or an exponent). */
class Float {
  constructor(value) {
    this.value = value;
  }
}

/**
 * JSON.parse, except that a number literal without fraction or exponent becomes a BigInt (exact
 * beyond 2^53) and one with them a Float: the types _tsquery's answer carries stay visible.
 */
export function parseExact(text) {
  let i = 0;
  const fail = (what) => {
    throw new SyntaxError(`${what} at ${i} in ${text.slice(Math.max(0, i - 40), i + 40)}`);
  };
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++;
  };
  const value = () => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const o = {};
      ws();
      if (text[i] === '}') return i++, o;
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a member name');
        const k = string();
        ws();
        if (text[i++] !== ':') fail("expected ':'");
        o[k] = value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return i++, o;
        else fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      i++;
      const a = [];
      ws();
      if (text[i] === ']') return i++, a;
      for (;;) {
        a.push(value());
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return i++, a;
        else fail("expected ',' or ']'");
      }
    }
    if (c === '"') return string();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]]) {
      if (text.startsWith(word, i)) return (i += word.length), v;
    }
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('expected a value');
    i += m[0].length;
    return m[1] || m[2] ? new Float(Number(m[0])) : BigInt(m[0]);
  };
  const string = () => {
    const start = i;
    i++;
    while (text[i] !== '"') {
      if (i >= text.length) fail('unterminated string');
      i += text[i] === '\\' ? 2 : 1;
    }
    i++;
    return JSON.parse(text.slice(start, i));
  };
  const result = value();
  ws();
  if (i !== text.length) fail('trailing text');
  return result;
}

// ---- a recording proxy

/**
 * An HTTP proxy on 127.0.0.1 in front of the node that records each request's method, path and
 * headers, so a test can see what a client sent (gzip, authorization) without trusting its
 * options. `close()` stops it.
 */
export async function recordingProxy() {
  const target = new URL(BASE_URL);
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push({ method: req.method, path: req.url, headers: { ...req.headers } });
    const upstream = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: target.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', (e) => {
      res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`proxy: ${e}`);
    });
    req.pipe(upstream);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
