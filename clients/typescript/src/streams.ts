/**
 * Change streams and live queries over Server-Sent Events, resuming by themselves.
 *
 * A {@link ChangeStream} yields every change of a collection once. A {@link LiveQuery} yields
 * the current result of a filter, then `added`, `changed` and `removed` as writes move
 * documents in and out of it. Both are async iterators (`for await`) and take a callback
 * ({@link EventStream.subscribe}).
 *
 * Each change carries a resume token: the per-shard positions right after it. A stream keeps
 * the token of the last event it handed out (heartbeats move it past changes a filter left
 * out). When the connection drops, the node restarts or a subscriber falls too far behind
 * (`overflow`), the stream connects again after a backoff and sends that token as
 * `Last-Event-ID`: the node continues right after it, so the consumer gets exactly what it
 * missed, with no duplicate and no gap. Errors that retrying cannot fix (the collection was
 * dropped, history was lost, the credentials no longer hold) end the iteration with a
 * {@link LumaDBError}.
 */

import { errorFromProblem, LumaDBError, UnreachableError, type Problem } from "./errors.js";
import { ProtocolError, SseParser, type ServerSentEvent } from "./sse.js";

/** A JSON document as the node stores it (`_id` and `_version` included). */
export type Document = Record<string, unknown>;

/**
 * How a stream reconnects: the first delay, the longest delay (each retry doubles it, with some
 * jitter), how long it keeps trying before it gives up (undefined: forever), and how long a
 * connection may stay silent before it is taken for dead (the node sends a heartbeat every
 * 10 s by default). All in milliseconds.
 */
export interface Reconnect {
  initialDelayMs?: number;
  maxDelayMs?: number;
  giveUpAfterMs?: number;
  readTimeoutMs?: number;
}

const RECONNECT_DEFAULTS = { initialDelayMs: 100, maxDelayMs: 5_000, readTimeoutMs: 45_000 } as const;

/** One change of a collection's change stream (Debezium's envelope names). */
export interface Change {
  /** `c` (create), `u` (update) or `d` (delete). */
  readonly op: "c" | "u" | "d";
  /** The document's `_id`. */
  readonly id: string;
  /** The document's version after the change (for a delete, the version it had). */
  readonly version: number;
  /** The document before (on collections with pre-images), else null. */
  readonly before: Document | null;
  /** The document after, null for a delete. */
  readonly after: Document | null;
  /** The shard that made the change, and its sequence number there. */
  readonly shard: number;
  readonly seq: number;
  /** The resume token right after this change. */
  readonly token: string;
  /** The whole envelope as the node sent it (`source`, `ts_ms`, ...). */
  readonly envelope: Record<string, unknown>;
}

/**
 * One event of a live query. `kind` is one of:
 * - `result`: a document of the current result (before `ready`);
 * - `ready`: the current result is complete (`data.count` documents);
 * - `added`, `changed`: a document entered the result, or changed within it (`document` is the
 *   new one);
 * - `removed`: a document left the result or was deleted (`document` is null);
 * - `reset`: the query had to start again (a limited query after a reconnect, a disconnect
 *   before `ready`, a change of the caller's access): forget the result so far, a fresh one
 *   follows (`result` events, then `ready`).
 */
export interface LiveEvent {
  readonly kind: "result" | "ready" | "added" | "changed" | "removed" | "reset";
  readonly id: string | null;
  readonly version: number | null;
  readonly document: Document | null;
  readonly token: string | null;
  /** The event's data as the node sent it (`count` of `ready`, `rank` and `score` of a search...). */
  readonly data: Record<string, unknown>;
}

/** What a stream needs of its client: where the node is, how to sign a request, and `fetch`. */
export interface StreamTransport {
  readonly url: string;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
  headers(): Record<string, string>;
}

/** The callback form of a stream: call it to unsubscribe (it closes the stream). */
export interface Unsubscribe {
  (): void;
  /** Settles when the subscription has ended: with the error that ended it, or undefined. */
  readonly done: Promise<Error | undefined>;
}

/** Options common to change streams and live queries. */
export interface StreamOptions {
  reconnect?: Reconnect;
  /** Aborting it closes the stream, like {@link EventStream.close}. */
  signal?: AbortSignal;
}

/** The connection ended or broke; connect again (`atOnce`: without waiting; `afterMs`: not before). */
class Retry extends Error {
  constructor(
    reason: string,
    readonly atOnce = false,
    readonly afterMs?: number,
  ) {
    super(reason);
    this.name = "Retry";
  }
}

/** A position the stream moved to without an item for the consumer (a heartbeat). */
class Position {
  constructor(readonly token: string) {}
}

const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  const why = cause instanceof Error ? `: ${cause.message}` : "";
  return `${e.message || e.name}${why}`;
}

function eventJson(event: ServerSentEvent): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(event.data);
  } catch {
    throw new ProtocolError(`event '${event.event}' does not carry JSON: ${event.data.slice(0, 200)}`);
  }
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : { value };
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function num(value: unknown): number | null {
  return typeof value === "number" ? value : null;
}

function doc(value: unknown): Document | null {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Document) : null;
}

/**
 * What a stream does with the events of its connections. Items are parsed ahead of the
 * consumer; {@link deliver} is called as each one is handed out, so what the stream reports
 * (its token, a live query's results) is what the consumer has seen. A reconnection only
 * happens once every parsed item was handed out, so resuming from {@link token} (the last
 * parsed position) resumes right after the last delivered one.
 */
/** @internal The protocol side of a stream, shared by every way of reading it. */
export abstract class StreamCore {
  token: string | undefined;
  deliveredToken: string | undefined;
  connectedOnce = false;
  /** The position the first connection started at. */
  subscribed: string | undefined;
  closed = false;
  private pending: Error | undefined;
  private delay: number;
  private failingSince: number | undefined;
  private sse = new SseParser();
  readonly reconnect: Required<Omit<Reconnect, "giveUpAfterMs">> & Pick<Reconnect, "giveUpAfterMs">;

  constructor(
    readonly transport: StreamTransport,
    readonly path: string,
    readonly params: Record<string, string>,
    reconnect: Reconnect | undefined,
  ) {
    this.reconnect = { ...RECONNECT_DEFAULTS, ...reconnect };
    this.delay = this.reconnect.initialDelayMs;
  }

  target(): string {
    const query = new URLSearchParams(this.params).toString();
    return this.path + (query ? `?${query}` : "");
  }

  resumeToken(): string | undefined {
    return this.token;
  }

  /** A new connection: its events start from nothing. */
  started(): void {
    this.sse = new SseParser();
    this.pending = undefined;
  }

  /**
   * Bytes of the current connection in, items out. What ends the connection (a terminal event,
   * an overflow) is kept for {@link raisePending}, so that the items before it go out first.
   */
  feed(chunk: Uint8Array): unknown[] {
    if (this.pending) return [];
    const items: unknown[] = [];
    try {
      for (const event of this.sse.feed(chunk)) {
        if (event.event === "subscribed" && this.subscribed === undefined) {
          this.subscribed = String(eventJson(event).token ?? "");
        }
        items.push(...this.onEvent(event));
        // An event came: the next failure starts its backoff from the beginning.
        this.delay = this.reconnect.initialDelayMs;
        this.failingSince = undefined;
      }
    } catch (e) {
      this.pending = e instanceof Error ? e : new ProtocolError(String(e));
    }
    return items;
  }

  raisePending(): void {
    const pending = this.pending;
    this.pending = undefined;
    if (pending) throw pending;
  }

  /** A refused (re)connection: the typed error, or a retry when it may pass and we were in. */
  refusal(status: number, reason: string, body: string, retryAfter: string | null): Error {
    let problem: unknown;
    try {
      problem = body ? JSON.parse(body) : undefined;
    } catch {
      problem = body ? { detail: body.slice(0, 500) } : undefined;
    }
    const error = errorFromProblem(status, problem, reason, retryAfter);
    if (this.connectedOnce && RETRYABLE_STATUS.has(status)) {
      const after = error.retryAfter;
      return new Retry(`the node answered ${error.message}`, false, after === undefined ? undefined : after * 1000);
    }
    return error;
  }

  /** How long to wait before connecting again (ms); throws when the stream must not retry. */
  nextDelay(reason: unknown): number {
    if (reason instanceof Retry && reason.atOnce) return 0;
    if (!this.connectedOnce) {
      // The first connection fails loudly: a wrong URL or name is not a disconnect.
      if (reason instanceof LumaDBError) throw reason;
      throw new UnreachableError(`cannot open the stream ${this.path}: ${describe(reason)}`, this.transport.url, reason);
    }
    const now = Date.now();
    this.failingSince ??= now;
    const limit = this.reconnect.giveUpAfterMs;
    if (limit !== undefined && now - this.failingSince > limit) {
      throw new UnreachableError(
        `the stream ${this.path} could not reconnect for ${limit} ms: ${describe(reason)}`,
        this.transport.url,
        reason,
      );
    }
    let delay = this.delay * (0.8 + 0.4 * Math.random());
    this.delay = Math.min(this.delay * 2, this.reconnect.maxDelayMs);
    if (reason instanceof Retry && reason.afterMs !== undefined) {
      delay = Math.max(delay, Math.min(reason.afterMs, this.reconnect.maxDelayMs));
    }
    return delay;
  }

  /** The connection is gone (before a reconnection). */
  disconnected(): void {}

  abstract onEvent(event: ServerSentEvent): unknown[];

  /** Records that `item` is handed out; returns it, or undefined for a bare position. */
  deliver(item: unknown): unknown {
    if (item instanceof Position) {
      this.deliveredToken = item.token;
      return undefined;
    }
    const token = (item as { token?: unknown }).token;
    if (typeof token === "string" && token) this.deliveredToken = token;
    return item;
  }

  protected failWith(event: ServerSentEvent): LumaDBError {
    let data: Problem = eventJson(event);
    let status = typeof data.status === "number" ? data.status : 500;
    if (event.event === "dropped") {
      data = {
        type: "urn:lumadb:problem:collection-dropped",
        title: "Collection dropped",
        detail: typeof data.message === "string" ? data.message : undefined,
        ...data,
      };
      status = 410;
    }
    const slug = String(data.type ?? event.event).split(":").pop() ?? event.event;
    data.title ??= slug.charAt(0).toUpperCase() + slug.slice(1).replaceAll("-", " ");
    return errorFromProblem(status, data);
  }
}

/** @internal */
export class ChangesCore extends StreamCore {
  onEvent(event: ServerSentEvent): unknown[] {
    switch (event.event) {
      case "change": {
        const change = toChange(eventJson(event), event.id);
        this.token = change.token;
        return [change];
      }
      case "subscribed":
      case "heartbeat": {
        const token = event.id || str(eventJson(event).token);
        if (!token) return [];
        this.token = token;
        return [new Position(token)];
      }
      case "overflow": {
        const token = str(eventJson(event).token);
        if (token) this.token = token;
        throw new Retry("the node closed a subscriber that fell behind", true);
      }
      case "error":
      case "dropped":
      case "unauthorized":
        throw this.failWith(event);
      default:
        return [];
    }
  }
}

function toChange(envelope: Record<string, unknown>, id: string | undefined): Change {
  const source = (doc(envelope.source) ?? {}) as Record<string, unknown>;
  return {
    op: (str(envelope.op) ?? "") as Change["op"],
    id: str(source.id) ?? "",
    version: num(source.version) ?? 0,
    before: doc(envelope.before),
    after: doc(envelope.after),
    shard: num(source.shard) ?? 0,
    seq: num(source.seq) ?? 0,
    token: str(envelope.token) ?? id ?? "",
    envelope,
  };
}

/** @internal */
export class LiveCore extends StreamCore {
  readonly results = new Map<string, Document>();
  /** Whether `ready` was handed out since the last reset. */
  ready = false;
  /** As parsed: a position after `ready` resumes without a new snapshot. */
  private parsedReady = false;
  /** Whether any part of a result was parsed since the last reset. */
  private shown = false;
  private resetDue = false;
  /** Whether the current connection continues without a new result. */
  private resumed = false;

  override resumeToken(): string | undefined {
    return this.parsedReady ? this.token : undefined;
  }

  onEvent(event: ServerSentEvent): unknown[] {
    const kind = event.event;
    const data = eventJson(event);
    switch (kind) {
      case "subscribed": {
        const out: unknown[] = [];
        this.resumed = data.resumed === true;
        if (!this.resumed && (this.resetDue || this.shown)) {
          this.parsedReady = false;
          this.shown = false;
          this.token = undefined;
          out.push(live("reset", null, null, null, null, data));
        }
        this.resetDue = false;
        return out;
      }
      case "result": {
        // Unlimited queries send the stored document; limited ones and searches {id, version, document}.
        const document = "_id" in data ? data : doc(data.document);
        const id = str(data.id) ?? str(document?._id) ?? null;
        const version = num(data.version) ?? num(document?._version);
        this.shown = true;
        return [live("result", id, version, document, null, data)];
      }
      case "ready": {
        this.parsedReady = true;
        this.shown = true;
        this.token = event.id || str(data.token);
        if (this.resumed) {
          // A resumed query sends no result: its consumer was told `ready` before.
          return this.token ? [new Position(this.token)] : [];
        }
        return [live("ready", null, null, null, this.token ?? null, data)];
      }
      case "added":
      case "changed":
      case "removed": {
        this.token = event.id || str(data.token);
        return [live(kind, str(data.id) ?? null, num(data.version), doc(data.document), this.token ?? null, data)];
      }
      case "heartbeat":
        if (this.parsedReady && event.id) {
          this.token = event.id;
          return [new Position(event.id)];
        }
        return [];
      case "overflow": {
        const token = str(data.token);
        if (this.parsedReady && token) this.token = token;
        throw new Retry("the node closed a subscriber that fell behind", true);
      }
      case "access-changed":
        // Its result was computed under the caller's old rules: run it again.
        this.parsedReady = false;
        this.resetDue = true;
        throw new Retry("the caller's access changed", true);
      case "error":
      case "dropped":
      case "unauthorized":
        throw this.failWith(event);
      default:
        return [];
    }
  }

  override disconnected(): void {
    if (!this.parsedReady && this.shown) this.resetDue = true;
  }

  override deliver(item: unknown): unknown {
    if (!(item instanceof Position)) {
      const event = item as LiveEvent;
      if (event.kind === "reset") {
        this.results.clear();
        this.ready = false;
      } else if (event.kind === "ready") {
        this.ready = true;
      } else if (event.kind === "removed") {
        if (event.id !== null) this.results.delete(event.id);
      } else if (event.document !== null && event.id !== null) {
        this.results.set(event.id, event.document);
      }
    }
    return super.deliver(item);
  }
}

function live(
  kind: LiveEvent["kind"],
  id: string | null,
  version: number | null,
  document: Document | null,
  token: string | null,
  data: Record<string, unknown>,
): LiveEvent {
  return { kind, id, version, document, token, data };
}

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * A stream of events read from one `fetch` response at a time, reconnecting by itself. It is
 * an async iterator: `for await (const item of stream)`, or `await stream.next()` to read in
 * steps (leaving a `for await` early with `break` closes the stream, as for any iterator).
 */
export class EventStream<T> implements AsyncIterableIterator<T> {
  readonly #core: StreamCore;
  readonly #items: unknown[] = [];
  #controller: AbortController | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #lock: Promise<unknown> = Promise.resolve();
  #wake: (() => void) | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.close();

  /** @internal */
  constructor(core: StreamCore, signal?: AbortSignal) {
    this.#core = core;
    this.#signal = signal;
    if (signal?.aborted) core.closed = true;
    else signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  /**
   * The resume token after the last event handed out (undefined before the first). Store it
   * with what you did with the events, and start again from it (`from: token`).
   */
  get token(): string | undefined {
    return this.#core.deliveredToken;
  }

  /** Whether the stream has ended (closed, aborted, or ended by an error). */
  get closed(): boolean {
    return this.#core.closed;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The next item; `{done: true}` once the stream is closed. Rejects with the error that ends it. */
  next(): Promise<IteratorResult<T, undefined>> {
    return this.#exclusive(async () => {
      const core = this.#core;
      for (;;) {
        if (core.closed) {
          this.#drop();
          return DONE;
        }
        while (this.#items.length > 0) {
          const item = core.deliver(this.#items.shift());
          if (item !== undefined) return { done: false, value: item as T };
        }
        if (!(await this.#pump(() => this.#items.length > 0))) {
          this.#drop();
          return DONE;
        }
      }
    });
  }

  /** Closes the stream (called when a `for await` loop is left early). */
  async return(): Promise<IteratorResult<T, undefined>> {
    this.close();
    return DONE;
  }

  /**
   * Connects now and resolves once the node listens: changes made after it resolves are on the
   * stream. Resolves with the position it started at. Without it, the stream connects at the
   * first {@link next}.
   */
  connect(): Promise<string> {
    return this.#exclusive(async () => {
      const core = this.#core;
      if (!(await this.#pump(() => core.subscribed !== undefined))) {
        throw new LumaDBError(0, "urn:lumadb:client:closed", "Stream closed", "the stream was closed");
      }
      return core.subscribed as string;
    });
  }

  /**
   * Calls `handler` with each item, one at a time (a handler's promise is awaited before the
   * next item), until the returned function is called or the stream ends. An error that ends
   * the stream, or one thrown by `handler`, goes to `onError` and to the `done` promise.
   */
  subscribe(handler: (item: T) => void | Promise<void>, onError?: (error: Error) => void): Unsubscribe {
    const done = (async (): Promise<Error | undefined> => {
      try {
        for (;;) {
          const result = await this.next();
          if (result.done) return undefined;
          await handler(result.value);
        }
      } catch (e) {
        this.close();
        const error = e instanceof Error ? e : new Error(String(e));
        try {
          onError?.(error);
        } catch {
          // the error is still in `done`
        }
        return error;
      }
    })();
    return Object.assign(() => this.close(), { done });
  }

  /** Ends the stream and its connection; a waiting {@link next} resolves `{done: true}`. */
  close(): void {
    this.#core.closed = true;
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#controller?.abort();
    this.#wake?.();
  }

  #exclusive<R>(task: () => Promise<R>): Promise<R> {
    const run = this.#lock.then(task, task);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  /** Reads (connecting again as needed) until `until()`; false if the stream was closed. */
  async #pump(until: () => boolean): Promise<boolean> {
    const core = this.#core;
    while (!until()) {
      if (core.closed) return false;
      try {
        if (this.#reader === undefined) await this.#connect();
        await this.#read(until);
      } catch (reason) {
        this.#drop();
        if (core.closed) return false;
        if (reason instanceof LumaDBError) {
          core.closed = true;
          throw reason;
        }
        core.disconnected();
        let delay: number;
        try {
          delay = core.nextDelay(reason);
        } catch (fatal) {
          core.closed = true;
          throw fatal;
        }
        if (delay > 0 && (await this.#sleep(delay))) return false;
      }
    }
    return true;
  }

  async #connect(): Promise<void> {
    const core = this.#core;
    const transport = core.transport;
    const controller = new AbortController();
    this.#controller = controller;
    core.started();
    const headers: Record<string, string> = {
      ...transport.headers(),
      Accept: "text/event-stream",
      "Cache-Control": "no-cache",
    };
    const resume = core.resumeToken();
    if (resume) headers["Last-Event-ID"] = resume;
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, transport.timeoutMs);
    let response: Response;
    try {
      response = await transport.fetch(transport.url + core.target(), {
        headers,
        signal: controller.signal,
        cache: "no-store",
      });
    } catch (e) {
      if (timedOut) throw new Retry(`no answer within ${transport.timeoutMs} ms`);
      throw e;
    } finally {
      clearTimeout(timer);
    }
    if (core.closed) throw new Retry("closed");
    if (response.status !== 200) {
      const body = await response.text().catch(() => "");
      throw core.refusal(response.status, response.statusText, body, response.headers.get("retry-after"));
    }
    if (response.body === null) throw new ProtocolError("the event stream has no body");
    core.connectedOnce = true;
    this.#reader = response.body.getReader();
  }

  async #read(until: () => boolean): Promise<void> {
    const core = this.#core;
    const reader = this.#reader as ReadableStreamDefaultReader<Uint8Array>;
    const controller = this.#controller as AbortController;
    while (!until()) {
      core.raisePending();
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        controller.abort();
      }, core.reconnect.readTimeoutMs);
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (e) {
        if (timedOut) throw new Retry("no event within the read timeout");
        throw e;
      } finally {
        clearTimeout(timer);
      }
      if (core.closed) throw new Retry("closed");
      if (result.done) throw new Retry("the node ended the stream");
      this.#items.push(...core.feed(result.value));
    }
  }

  #drop(): void {
    const controller = this.#controller;
    const reader = this.#reader;
    this.#controller = undefined;
    this.#reader = undefined;
    controller?.abort();
    reader?.cancel().catch(() => undefined);
  }

  /** Waits `ms`; true if the stream was closed meanwhile. */
  #sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve(this.#core.closed);
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve(true);
      };
    });
  }
}

/** A collection's change stream: every change once, each shard's changes in order. */
export class ChangeStream extends EventStream<Change> {}

/**
 * A live query: its current result (`result` events, then `ready`), then `added`, `changed`
 * and `removed`. {@link results} is the result as of the last event handed out.
 */
export class LiveQuery extends EventStream<LiveEvent> {
  readonly #live: LiveCore;

  /** @internal */
  constructor(core: LiveCore, signal?: AbortSignal) {
    super(core, signal);
    this.#live = core;
  }

  /** The query's result as of the last event handed out: id to document. */
  get results(): ReadonlyMap<string, Document> {
    return this.#live.results;
  }

  /** Whether the current result is complete (`ready` was handed out since the last reset). */
  get ready(): boolean {
    return this.#live.ready;
  }
}

/** @internal */
export function openChanges(
  transport: StreamTransport,
  path: string,
  params: Record<string, string>,
  options: StreamOptions,
): ChangeStream {
  return new ChangeStream(new ChangesCore(transport, path, params, options.reconnect), options.signal);
}

/** @internal */
export function openLive(
  transport: StreamTransport,
  path: string,
  params: Record<string, string>,
  options: StreamOptions,
): LiveQuery {
  return new LiveQuery(new LiveCore(transport, path, params, options.reconnect), options.signal);
}
