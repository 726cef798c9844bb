/** The LumaDB client: databases, collections, documents, queries, indexes, SQL, search and streams. */

import { errorFromProblem, LumaDBError, UnreachableError } from "./errors.js";
import {
  openChanges,
  openLive,
  type Change,
  type ChangeStream,
  type Document,
  type LiveEvent,
  type LiveQuery,
  type StreamOptions,
  type StreamTransport,
  type Unsubscribe,
} from "./streams.js";
import { VERSION } from "./version.js";

/** A JSON object. */
export type Json = Record<string, unknown>;

/** How a client reaches and signs in to a node. */
export interface ClientOptions {
  /** An API key (`luma_...`) or an access token, sent as `Authorization: Bearer`. */
  apiKey?: string;
  /** A user name for HTTP Basic, with `password`. */
  user?: string;
  password?: string;
  /** How long one request may take, from sending it to the end of its answer (default 60 000 ms). */
  timeoutMs?: number;
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
}

/** One request's extras (see {@link Client.request}). */
export interface RequestOptions {
  /** Query parameters; undefined values are left out, booleans sent as `true`/`false`. */
  params?: Record<string, string | number | boolean | undefined>;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as it is (instead of `body`). */
  rawBody?: string | Uint8Array;
  /** The body's type (default `application/json`). */
  contentType?: string;
  headers?: Record<string, string>;
  /** Aborting it abandons the request (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
  /** With false, a successful answer's body is returned as text, unparsed. */
  parse?: boolean;
}

/** A successful answer: its status, headers and body (JSON, or text when not parsed; undefined if empty). */
export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
}

/** A page of documents in `_id` order; `next` is the cursor of the following page (null at the end). */
export interface Page {
  readonly documents: Document[];
  readonly next: string | null;
}

/** A JQL query's answer: a page of documents and the cursor of the next (null at the end). */
export interface QueryResult {
  documents: Document[];
  next: string | null;
  explain?: Json;
  [member: string]: unknown;
}

/** The members of a JQL query body besides its filter (see the LumaDB README, "the JSON query language"). */
export interface QueryOptions {
  /** Paths to sort by, `-year` for descending. */
  sort?: string[];
  /** A projection: the paths to return. */
  fields?: string[];
  limit?: number;
  /** The `next` of the previous page. */
  after?: string;
  /** An index name, or `scan`. */
  hint?: string;
  timeoutMs?: number;
  explain?: boolean;
  /** Other members of the query body, sent as they are. */
  [member: string]: unknown;
}

/** The result of one write: `{_id, _version, result}`. */
export interface WriteResult {
  _id: string;
  _version: number;
  result: "created" | "updated" | "deleted";
  [member: string]: unknown;
}

/** A condition on a write: a version the document must be at, or `*` for any existing one. */
export type IfMatch = number | "*";

/** One item of a bulk request. */
export interface BulkItem {
  /** `put` by default. */
  op?: "put" | "create" | "patch" | "delete";
  id?: string;
  doc?: Json;
  ifMatch?: number;
}

/** A bulk request's answer: one result per item, in order. */
export interface BulkResult {
  items: Array<{ _id: string; status: number; _version?: number; result?: string; error?: Json }>;
  errors: boolean;
}

/** A field of a secondary index: a path (`-year` descending) or `{path, order}`. */
export type IndexField = string | { path: string; order?: "asc" | "desc" };

/** Where a change stream starts: `now`, `beginning`, or a resume token. */
export type StreamStart = "now" | "beginning" | (string & {});

/** What a change stream reads. */
export interface ChangesOptions extends StreamOptions {
  /** `now` (default), `beginning`, or a resume token (a change's `token`, or a stream's). */
  from?: StreamStart;
  /** A JQL filter: only the changes whose document matches (the position still moves past the others). */
  filter?: Json;
  /** Turns pre-images (`before`) on or off for this subscriber. */
  before?: boolean;
}

/** What a live query reads. */
export interface LiveOptions extends StreamOptions {
  filter?: Json;
  sort?: string[];
  /** A window of the first `limit` matches in sort order, kept on the node (starts afresh after a reconnect). */
  limit?: number;
  /** A `_search` body: the live top k of a vector, text or hybrid search (starts afresh after a reconnect). */
  search?: Json;
}

const DEFAULT_URL = "http://127.0.0.1:8080";

/**
 * A connection to a LumaDB node over its HTTP API. Nothing is sent until a method is called;
 * every method returns a promise and rejects with a {@link LumaDBError} subclass for a refusal
 * (typed by status) and {@link UnreachableError} when no answer came.
 */
export class Client {
  /** The node, such as `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly timeoutMs: number;
  readonly #authorization: string | undefined;
  readonly #fetch: typeof fetch;
  /** @internal What the client's streams use. */
  readonly transport: StreamTransport;

  constructor(url: string = DEFAULT_URL, options: ClientOptions = {}) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new TypeError(`url must be http://host[:port] or https://host[:port], not ${JSON.stringify(url)}`);
    }
    if ((parsed.protocol !== "http:" && parsed.protocol !== "https:") || !parsed.hostname) {
      throw new TypeError(`url must be http://host[:port] or https://host[:port], not ${JSON.stringify(url)}`);
    }
    if ((parsed.pathname !== "/" && parsed.pathname !== "") || parsed.search || parsed.hash) {
      throw new TypeError(`url names the node only, without a path or query: ${JSON.stringify(url)}`);
    }
    const { apiKey, user, password } = options;
    if (apiKey !== undefined && user !== undefined) {
      throw new TypeError("give either apiKey or user and password, not both");
    }
    if ((user === undefined) !== (password === undefined)) throw new TypeError("user and password go together");
    this.url = parsed.origin;
    this.timeoutMs = options.timeoutMs ?? 60_000;
    if (!(this.timeoutMs > 0)) throw new TypeError(`timeoutMs must be positive, not ${options.timeoutMs}`);
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== "function") throw new TypeError("no fetch: pass options.fetch, or use Node.js 20 or newer");
    this.#fetch = fetchImpl.bind(globalThis);
    if (apiKey !== undefined) this.#authorization = `Bearer ${apiKey}`;
    else if (user !== undefined && password !== undefined) this.#authorization = `Basic ${base64(`${user}:${password}`)}`;
    const client = this;
    this.transport = {
      url: this.url,
      timeoutMs: this.timeoutMs,
      fetch: this.#fetch,
      headers: () => client.#headers(),
    };
  }

  /**
   * A client from `LUMADB_URL` and `LUMADB_API_KEY`, or `LUMADB_USER` and `LUMADB_PASSWORD` (as
   * the `lumadb` command line reads them); `overrides` win.
   */
  static fromEnv(overrides: ClientOptions & { url?: string } = {}): Client {
    const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
    const options: ClientOptions = {};
    if (env.LUMADB_API_KEY) options.apiKey = env.LUMADB_API_KEY;
    else if (env.LUMADB_USER) {
      options.user = env.LUMADB_USER;
      options.password = env.LUMADB_PASSWORD ?? "";
    }
    const { url, ...rest } = overrides;
    if (rest.apiKey !== undefined || rest.user !== undefined) {
      delete options.apiKey;
      delete options.user;
      delete options.password;
    }
    return new Client(url ?? env.LUMADB_URL ?? DEFAULT_URL, { ...options, ...rest });
  }

  toString(): string {
    return `Client(${this.url})`;
  }

  #headers(): Record<string, string> {
    const headers: Record<string, string> = {};
    // Browsers set their own User-Agent.
    if (typeof (globalThis as { document?: unknown }).document === "undefined") {
      headers["User-Agent"] = `lumadb-js/${VERSION}`;
    }
    if (this.#authorization) headers.Authorization = this.#authorization;
    return headers;
  }

  // ---- the HTTP exchange

  /**
   * Sends one request and resolves with its answer; rejects with a {@link LumaDBError} for any
   * status of 300 or more (typed by status) and {@link UnreachableError} when no answer came in
   * time. `path` is the path on the node, already encoded (see {@link apiPath}).
   */
  async request<T = unknown>(method: string, path: string, options: RequestOptions = {}): Promise<ApiResponse<T>> {
    let target = this.url + path;
    if (options.params) {
      const query = new URLSearchParams();
      for (const [name, value] of Object.entries(options.params)) {
        if (value !== undefined) query.set(name, String(value));
      }
      const text = query.toString();
      if (text) target += `?${text}`;
    }
    const headers: Record<string, string> = { Accept: "application/json", ...this.#headers() };
    let data: string | Uint8Array | undefined = options.rawBody;
    if (options.body !== undefined) data = JSON.stringify(options.body);
    if (data !== undefined) headers["Content-Type"] = options.contentType ?? "application/json";
    Object.assign(headers, options.headers);

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.timeoutMs);
    const outer = options.signal;
    const onAbort = (): void => controller.abort(outer?.reason);
    if (outer?.aborted) onAbort();
    else outer?.addEventListener("abort", onAbort, { once: true });
    let response: Response;
    let text: string;
    try {
      response = await this.#fetch(target, {
        method,
        headers,
        body: data as BodyInit | undefined,
        signal: controller.signal,
      });
      text = await response.text();
    } catch (e) {
      if (outer?.aborted) throw outer.reason;
      const why = timedOut ? `no answer within ${this.timeoutMs} ms` : describe(e);
      throw new UnreachableError(`${method} ${this.url}${path}: ${why}`, this.url, e);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener("abort", onAbort);
    }
    if (response.status >= 300) {
      let problem: unknown;
      try {
        problem = text ? JSON.parse(text) : undefined;
      } catch {
        problem = undefined;
      }
      if ((problem === null || typeof problem !== "object") && text) problem = { detail: text.slice(0, 500) };
      throw errorFromProblem(response.status, problem, response.statusText, response.headers.get("retry-after"));
    }
    let body: unknown = undefined;
    if (options.parse === false) body = text;
    else if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
    return { status: response.status, headers: response.headers, body: body as T };
  }

  /** @internal */
  async json<T>(method: string, path: string, options?: RequestOptions): Promise<T> {
    return (await this.request<T>(method, path, options)).body;
  }

  // ---- the node

  /** `/health`: whether the process answers. */
  health(): Promise<Json> {
    return this.json("GET", "/health");
  }

  /** `/ready`: whether the node takes traffic (rejects with {@link UnavailableError} when not). */
  ready(): Promise<Json> {
    return this.json("GET", "/ready");
  }

  /** The caller as the node sees it: name, kind, roles, grants. */
  whoami(): Promise<Json> {
    return this.json("GET", "/api/v1/_security/whoami");
  }

  /** The node's OpenAPI 3.1 description of its API. */
  openapi(): Promise<Json> {
    return this.json("GET", "/api/v1/openapi.json");
  }

  // ---- databases

  /** Every database: `[{name, createdAt, collectionCount}, ...]`. */
  async listDatabases(): Promise<Json[]> {
    return (await this.json<{ databases: Json[] }>("GET", "/api/v1")).databases;
  }

  /** Creates a database (nothing happens if it exists); resolves with its description. */
  createDatabase(name: string): Promise<Json> {
    return this.json("PUT", apiPath(name));
  }

  /** A database with its collections; {@link NotFoundError} if there is none. */
  getDatabase(name: string): Promise<Json> {
    return this.json("GET", apiPath(name));
  }

  /** Drops a database and all its collections: `{dropped, collectionsDropped}`. */
  dropDatabase(name: string): Promise<Json> {
    return this.json("DELETE", apiPath(name));
  }

  /** A handle on database `name` (nothing is sent). */
  database(name: string): Database {
    return new Database(this, name);
  }

  /** A handle on collection `database/name` (nothing is sent). */
  collection(database: string, name: string): Collection {
    return new Collection(this, database, name);
  }
}

/** A database of a node: its collections and SQL. */
export class Database {
  constructor(
    readonly client: Client,
    readonly name: string,
  ) {}

  /** Creates it if it does not exist. */
  create(): Promise<Json> {
    return this.client.createDatabase(this.name);
  }

  /** Drops it with all its collections. */
  drop(): Promise<Json> {
    return this.client.dropDatabase(this.name);
  }

  /** Its description, with its collections. */
  info(): Promise<Json> {
    return this.client.getDatabase(this.name);
  }

  /** Its collections: `[{database, name, shards, preImages, createdAt}, ...]`. */
  async listCollections(): Promise<Json[]> {
    return ((await this.info()).collections as Json[] | undefined) ?? [];
  }

  collection(name: string): Collection {
    return new Collection(this.client, this.name, name);
  }

  /**
   * Runs a SQL statement over the database's collections (`?` marks parameters). Resolves with
   * `{columns: [{name, type, nullable}], rows: [[...]], rowCount, documentsRead}`; a failed
   * statement rejects with {@link LumaDBError.sqlState} set.
   */
  sql(statement: string, params?: unknown[]): Promise<SqlResult> {
    const body: Json = { sql: statement };
    if (params !== undefined) body.params = params;
    return this.client.json("POST", apiPath(this.name, "_sql"), { body });
  }
}

/** A SQL statement's answer. */
export interface SqlResult {
  columns: Array<{ name: string; type: string; nullable: boolean }>;
  rows: unknown[][];
  rowCount: number;
  [member: string]: unknown;
}

/** A collection: its documents, queries, indexes, search, change stream and live queries. */
export class Collection {
  constructor(
    readonly client: Client,
    readonly database: string,
    readonly name: string,
  ) {}

  #path(...more: string[]): string {
    return apiPath(this.database, this.name, ...more);
  }

  // ---- the collection itself

  /**
   * Creates the collection (its database must exist); the same again is no error. `shards` is
   * fixed at creation, `preImages` makes changes carry `before`, `schema` is a JSON Schema every
   * write must satisfy, `tiering` the cold tier's policy. A different shard count, pre-images or
   * schema than the existing collection's is a {@link ConflictError}.
   */
  create(options: { shards?: number; preImages?: boolean; schema?: Json; tiering?: Json } = {}): Promise<Json> {
    const body: Json = {};
    for (const [key, value] of Object.entries(options)) if (value !== undefined) body[key] = value;
    return this.client.json("PUT", this.#path(), Object.keys(body).length > 0 ? { body } : {});
  }

  /** Its description with `documentCount`. */
  info(): Promise<Json> {
    return this.client.json("GET", this.#path());
  }

  /** Drops it and its documents; its streams end. */
  drop(): Promise<Json> {
    return this.client.json("DELETE", this.#path());
  }

  // ---- documents

  /**
   * The document with `_id` `id` (with `_id` and `_version`); {@link NotFoundError} if none.
   * `linearizable` makes the shard confirm with its journal that its copy is current.
   */
  get(id: string, options: { linearizable?: boolean } = {}): Promise<Document> {
    return this.client.json("GET", this.#path(id), {
      params: options.linearizable ? { consistency: "linearizable" } : {},
    });
  }

  /**
   * Creates or replaces a document. `ifMatch` (a version, or `*` for any existing document) and
   * `createOnly` make it conditional: {@link PreconditionFailedError} (with `currentVersion`)
   * when it does not hold.
   */
  put(id: string, document: Json, options: { ifMatch?: IfMatch; createOnly?: boolean } = {}): Promise<WriteResult> {
    return this.client.json("PUT", this.#path(id), {
      body: document,
      headers: preconditions(options.ifMatch, options.createOnly ?? false),
    });
  }

  /** Creates a document that must not exist yet (else {@link PreconditionFailedError}). */
  insert(id: string, document: Json): Promise<WriteResult> {
    return this.put(id, document, { createOnly: true });
  }

  /**
   * Merges an RFC 7396 JSON Merge Patch into an existing document (`null` removes a field);
   * resolves with the document as written. {@link NotFoundError} if it does not exist.
   */
  patch(id: string, patch: Json, options: { ifMatch?: IfMatch } = {}): Promise<Document> {
    return this.client.json("PATCH", this.#path(id), {
      body: patch,
      contentType: "application/merge-patch+json",
      headers: preconditions(options.ifMatch, false),
    });
  }

  /** Deletes a document: `{_id, _version, result: "deleted"}`; {@link NotFoundError} if none. */
  delete(id: string, options: { ifMatch?: IfMatch } = {}): Promise<WriteResult> {
    return this.client.json("DELETE", this.#path(id), { headers: preconditions(options.ifMatch, false) });
  }

  /** One page of documents in `_id` order, after the id `after`. */
  async listDocuments(options: { after?: string; limit?: number } = {}): Promise<Page> {
    const body = await this.client.json<{ docs: Document[]; next?: string | null }>("GET", this.#path("_docs"), {
      params: { after: options.after, limit: options.limit },
    });
    return { documents: body.docs, next: body.next ?? null };
  }

  /** Every document in `_id` order, a page at a time. */
  async *iterDocuments(options: { pageSize?: number } = {}): AsyncGenerator<Document, void, undefined> {
    let after: string | undefined;
    for (;;) {
      const page = await this.listDocuments({ after, limit: options.pageSize ?? 1000 });
      yield* page.documents;
      if (page.next === null) return;
      after = page.next;
    }
  }

  /**
   * Many writes in one request, each `{op, id, doc, ifMatch}` (`op` defaults to put; a put may
   * carry its id as `doc._id`). Every item is checked before anything is written (one bad item:
   * {@link BadRequestError}, nothing written). Resolves with one result per item, in order;
   * items fail on their own.
   */
  bulk(items: Iterable<BulkItem>): Promise<BulkResult> {
    return this.client.json("POST", this.#path("_bulk"), { body: [...items] });
  }

  /** Creates or replaces documents that carry their `_id` (one bulk request). */
  putMany(documents: Iterable<Json>): Promise<BulkResult> {
    return this.bulk([...documents].map((doc) => ({ op: "put" as const, doc })));
  }

  // ---- queries

  /** A JQL query: `{documents, next}` (and `explain`); `after` is the `next` of the previous page. */
  query(filter?: Json, options: QueryOptions = {}): Promise<QueryResult> {
    const body: Json = {};
    if (filter !== undefined) body.filter = filter;
    for (const [key, value] of Object.entries(options)) if (value !== undefined) body[key] = value;
    if (body.explain === false) delete body.explain;
    return this.runQuery(body) as Promise<QueryResult>;
  }

  /** Sends a JQL query body as it is. */
  runQuery(body: Json): Promise<Json> {
    return this.client.json("POST", this.#path("_query"), { body });
  }

  /** Every page of a query, following its cursor (`pageSize` documents each, default 1000). */
  async *queryPages(
    filter?: Json,
    options: QueryOptions & { pageSize?: number } = {},
  ): AsyncGenerator<QueryResult, void, undefined> {
    const { pageSize, ...query } = options;
    let after: string | undefined;
    for (;;) {
      const page = await this.query(filter, { ...query, limit: pageSize ?? 1000, after });
      yield page;
      if (page.next == null) return;
      after = page.next;
    }
  }

  /** Every document a query matches, following its pages. */
  async *find(
    filter?: Json,
    options: QueryOptions & { pageSize?: number } = {},
  ): AsyncGenerator<Document, void, undefined> {
    for await (const page of this.queryPages(filter, options)) yield* page.documents;
  }

  /** How many documents match `filter`. */
  async count(filter?: Json): Promise<number> {
    const body: Json = { count: true };
    if (filter !== undefined) body.filter = filter;
    return (await this.runQuery(body)).count as number;
  }

  /** Groups with metrics: `[{key: {...}, <metric>: value, ...}]`. */
  async aggregate(metrics: Json, options: { groupBy?: string[]; filter?: Json } = {}): Promise<Json[]> {
    const aggregate: Json = { metrics };
    if (options.groupBy !== undefined) aggregate.groupBy = options.groupBy;
    const body: Json = { aggregate };
    if (options.filter !== undefined) body.filter = options.filter;
    return (await this.runQuery(body)).groups as Json[];
  }

  /** The distinct values at a path (array elements count one by one), in value order. */
  async distinct(path: string, filter?: Json): Promise<unknown[]> {
    const body: Json = { distinct: path };
    if (filter !== undefined) body.filter = filter;
    return (await this.runQuery(body)).values as unknown[];
  }

  /** The plan of a query as each shard ran it, with its counters. */
  async explain(filter?: Json, options: QueryOptions = {}): Promise<Json> {
    return (await this.query(filter, { ...options, explain: true })).explain as Json;
  }

  // ---- indexes

  /**
   * Creates an index, built in the background: a secondary index over `fields` (`year`, `-year`
   * or `{path, order}`), or a search index from its definition (`{type: "vector", path,
   * dimension, similarity}` or `{type: "text", paths, analyzer}`). The same index again is no
   * error, another of that name is a {@link ConflictError}. Resolves with its state (`building`
   * at first) and progress.
   */
  createIndex(name: string, fieldsOrDefinition: IndexField[] | Json): Promise<Json> {
    const body = Array.isArray(fieldsOrDefinition) ? { fields: fieldsOrDefinition } : fieldsOrDefinition;
    return this.client.json("PUT", this.#path("_indexes", name), { body });
  }

  /** An index's `state` (`building`, `ready`, `failed`) and `progress`, per shard too. */
  getIndex(name: string): Promise<Json> {
    return this.client.json("GET", this.#path("_indexes", name));
  }

  async listIndexes(): Promise<Json[]> {
    return (await this.client.json<{ indexes: Json[] }>("GET", this.#path("_indexes"))).indexes;
  }

  dropIndex(name: string): Promise<Json> {
    return this.client.json("DELETE", this.#path("_indexes", name));
  }

  /**
   * Waits until an index is `ready`; rejects with a {@link LumaDBError} (`index-failed`) if its
   * build failed, and (`index-timeout`) if it is still building after `timeoutMs`.
   */
  async waitForIndex(name: string, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<Json> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = await this.getIndex(name);
      if (index.state === "ready") return index;
      if (index.state === "failed") {
        throw new LumaDBError(0, "urn:lumadb:client:index-failed", "Index build failed", JSON.stringify(index));
      }
      if (Date.now() > deadline) {
        throw new LumaDBError(
          0,
          "urn:lumadb:client:index-timeout",
          "Index still building",
          `index ${name} still ${String(index.state)} after ${timeoutMs} ms: ${JSON.stringify(index.progress)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 100));
    }
  }

  // ---- search

  /**
   * A vector (`knn`), full-text (`text`) or hybrid search over the collection's search indexes,
   * with an optional JQL `filter`, `k`, `fields`, `wait` and `explain`: `{hits: [{_id, score,
   * document, ...}], positions}`. A bad request is {@link BadRequestError} `invalid-search`.
   */
  search(body: Json): Promise<SearchResult> {
    return this.client.json("POST", this.#path("_search"), { body });
  }

  // ---- change stream and live queries

  /**
   * The change stream, resuming by itself: `for await (const change of orders.changes())`.
   * Nothing is sent until the first `next()` (or `connect()`); a failure of that first
   * connection rejects at once.
   */
  changes(options: ChangesOptions = {}): ChangeStream {
    const params: Record<string, string> = { from: options.from ?? "now" };
    if (options.filter !== undefined) params.filter = JSON.stringify(options.filter);
    if (options.before !== undefined) params.before = String(options.before);
    return openChanges(this.client.transport, this.#path("_changes"), params, options);
  }

  /**
   * Calls `handler` with every change (one at a time, awaiting it) until the returned function
   * is called; an error that ends the stream goes to `options.onError` and to `done`.
   */
  onChange(
    handler: (change: Change) => void | Promise<void>,
    options: ChangesOptions & { onError?: (error: Error) => void } = {},
  ): Unsubscribe {
    return this.changes(options).subscribe(handler, options.onError);
  }

  /**
   * One page of the change stream by HTTP pull: the envelopes and the position after them. With
   * `waitMs` it waits that long for a first change. Follow `next` until a page is empty.
   */
  async pullChanges(
    options: { from?: StreamStart; limit?: number; waitMs?: number; filter?: Json; signal?: AbortSignal } = {},
  ): Promise<{ changes: Json[]; next: string }> {
    const answer = await this.client.request<string>("GET", this.#path("_changes"), {
      params: {
        from: options.from ?? "beginning",
        limit: options.limit ?? 100,
        wait: options.waitMs ?? 0,
        filter: options.filter === undefined ? undefined : JSON.stringify(options.filter),
      },
      headers: { Accept: "application/x-ndjson" },
      parse: false,
      signal: options.signal,
    });
    const changes = answer.body
      .split("\n")
      .filter((line) => line.trim() !== "")
      .map((line) => JSON.parse(line) as Json);
    return { changes, next: answer.headers.get("lumadb-next-token") ?? "" };
  }

  /**
   * A live query: the current result (`result` events, then `ready`), then `added`, `changed`
   * and `removed`. After a disconnect it resumes from its last position without a new snapshot;
   * a query with `limit` or `search` starts again instead, announced by `reset`.
   */
  live(options: LiveOptions = {}): LiveQuery {
    const params: Record<string, string> = {};
    if (options.filter !== undefined) params.filter = JSON.stringify(options.filter);
    if (options.sort !== undefined) params.sort = JSON.stringify(options.sort);
    if (options.limit !== undefined) params.limit = String(options.limit);
    if (options.search !== undefined) params.search = JSON.stringify(options.search);
    return openLive(this.client.transport, this.#path("_live"), params, options);
  }

  /** {@link live} with a callback; see {@link onChange}. */
  onLive(
    handler: (event: LiveEvent) => void | Promise<void>,
    options: LiveOptions & { onError?: (error: Error) => void } = {},
  ): Unsubscribe {
    return this.live(options).subscribe(handler, options.onError);
  }
}

/** A search's answer. */
export interface SearchResult {
  hits: Array<{ _id: string; score: number; document?: Document; [member: string]: unknown }>;
  [member: string]: unknown;
}

/** `/api/v1/<segments>` with each segment percent-encoded (ids may hold `?`, `#`, `/`, spaces). */
export function apiPath(...segments: string[]): string {
  return `/api/v1/${segments.map((s) => encodeURIComponent(s)).join("/")}`;
}

function preconditions(ifMatch: IfMatch | undefined, createOnly: boolean): Record<string, string> {
  if (ifMatch !== undefined && createOnly) throw new TypeError("ifMatch and createOnly cannot be combined");
  if (createOnly) return { "If-None-Match": "*" };
  if (ifMatch === undefined) return {};
  if (ifMatch === "*") return { "If-Match": "*" };
  if (!Number.isInteger(ifMatch)) throw new TypeError(`ifMatch must be a version or "*", not ${String(ifMatch)}`);
  return { "If-Match": `"${ifMatch}"` };
}

function base64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? `${e.message}: ${cause.message}` : e.message || e.name;
}
