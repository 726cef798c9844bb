/**
 * What the tests share: the node under test and its harness, read from the environment as the
 * harness sets it (`io.lumadb.clients.ClientSuite`):
 *
 * - `LUMADB_URL`: the node; `LUMADB_API_KEY`: an admin API key; `LUMADB_USER`/`LUMADB_PASSWORD`:
 *   the admin user;
 * - `LUMADB_TEST_CONTROL`: the harness's control endpoint (`POST /restart`);
 * - `LUMADB_TEST_MAX_STREAMS`, `LUMADB_TEST_MAX_CONNECTIONS`: the node's stream limit per
 *   principal and connection limit per address (loopback included), which the error tests reach.
 *
 * A test that needs one of them and does not find it fails, naming it: no test is skipped.
 */

import { randomUUID } from "node:crypto";
import assert from "node:assert/strict";
import { Client, type Change, type ClientOptions, type Collection, type EventStream, type Reconnect } from "@lumadb/client";

export function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite against a node (see README.md, "Tests")`);
  return value;
}

/** Short backoff: the tests wait for a restarted node, not for a production backoff. */
export const FAST: Reconnect = { initialDelayMs: 50, maxDelayMs: 500, giveUpAfterMs: 90_000, readTimeoutMs: 30_000 };

/** A client of the node under test, signed in with the admin API key (unless `options` say otherwise). */
export function client(options?: ClientOptions, url = env("LUMADB_URL")): Client {
  return new Client(url, options ?? { apiKey: env("LUMADB_API_KEY") });
}

/** A database or collection name no other test uses. */
export function unique(prefix: string): string {
  return `${prefix}-${randomUUID().replaceAll("-", "").slice(0, 10)}`;
}

/**
 * Asks the harness to `restart`, `stop` or `start` the node, or for its `status`; resolves once
 * done, with the node's `{pid, starts, alive}`.
 */
export async function control(action: string): Promise<{ pid: number; starts: number; alive: boolean }> {
  const answer = await fetch(`${env("LUMADB_TEST_CONTROL")}/${action}`, {
    method: "POST",
    signal: AbortSignal.timeout(180_000),
  });
  const body = await answer.text();
  if (answer.status !== 200) throw new Error(`control ${action}: ${answer.status} ${body}`);
  return JSON.parse(body) as { pid: number; starts: number; alive: boolean };
}

/** A new API key's secret, made by the admin. */
export async function createKey(name: string, roles: unknown[]): Promise<string> {
  const answer = await client().request<{ secret: string }>("POST", "/api/v1/_security/keys", {
    body: { name, roles },
  });
  return answer.body.secret;
}

/**
 * Closes `streams` after `ms`, so that a test waiting for an event that never comes fails (its
 * iteration ends) instead of hanging. Returns what cancels it.
 */
export function watchdog(ms: number, ...streams: EventStream<unknown>[]): () => void {
  const timer = setTimeout(() => {
    for (const s of streams) s.close();
  }, ms);
  timer.unref();
  return () => clearTimeout(timer);
}

/** The next `n` items of a stream; fails if it ends first. */
export async function take<T>(stream: EventStream<T>, n: number): Promise<T[]> {
  const items: T[] = [];
  while (items.length < n) {
    const next = await stream.next();
    if (next.done) throw new Error(`the stream ended after ${items.length} of ${n} items: ${JSON.stringify(items)}`);
    items.push(next.value);
  }
  return items;
}

/** Byte-wise (UTF-8) order, the order of ids on the node. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

export function sorted<T>(items: T[]): T[] {
  return [...items].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

export type Key = [string, string, number];

export function key(change: Change): Key {
  return [change.id, change.op, change.version];
}

/** Each shard's changes arrive in its sequence order (shards interleave freely). */
export function checkShardOrder(changes: Change[]): void {
  const last = new Map<number, [number, number]>();
  for (const c of changes) {
    const index = ((c.envelope.source as Record<string, unknown>).index as number | undefined) ?? 0;
    const [seq, idx] = last.get(c.shard) ?? [-1, -1];
    assert.ok(c.seq > seq || (c.seq === seq && index > idx), `shard ${c.shard} out of order at ${JSON.stringify(c)}`);
    last.set(c.shard, [c.seq, index]);
  }
}

/** Writes through the client and remembers the change each write must show on the stream. */
export class Writer {
  readonly expected: Key[] = [];
  constructor(readonly coll: Collection) {}

  async put(id: string, doc: Record<string, unknown>): Promise<void> {
    const answer = await this.coll.put(id, doc);
    this.expected.push([id, answer.result === "created" ? "c" : "u", answer._version]);
  }

  async patch(id: string, patch: Record<string, unknown>): Promise<void> {
    this.expected.push([id, "u", (await this.coll.patch(id, patch))._version as number]);
  }

  async delete(id: string): Promise<void> {
    this.expected.push([id, "d", (await this.coll.delete(id))._version]);
  }
}
