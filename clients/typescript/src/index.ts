/**
 * LumaDB for TypeScript and JavaScript: documents, JQL queries, indexes, SQL, search, and change
 * streams and live queries that resume by themselves. No dependencies: the global `fetch`,
 * `ReadableStream`, `TextDecoder` and `AbortController` of Node.js 20+ and browsers.
 *
 * ```ts
 * import { Client } from "@lumadb/client";
 *
 * const client = new Client("http://127.0.0.1:8080", { apiKey: "luma_..." });
 * const orders = client.collection("shop", "orders");
 * await orders.put("o1", { total: 120 });
 * for await (const change of orders.changes({ from: "beginning" })) console.log(change.op, change.id);
 * ```
 */

export {
  Client,
  Collection,
  Database,
  apiPath,
  type ApiResponse,
  type BulkItem,
  type BulkResult,
  type ChangesOptions,
  type ClientOptions,
  type IfMatch,
  type IndexField,
  type Json,
  type LiveOptions,
  type Page,
  type QueryOptions,
  type QueryResult,
  type RequestOptions,
  type SearchResult,
  type SqlResult,
  type StreamStart,
  type WriteResult,
} from "./client.js";
export {
  BadRequestError,
  CollectionDroppedError,
  ConflictError,
  errorFromProblem,
  ForbiddenError,
  GoneError,
  HistoryLostError,
  LumaDBError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  PROBLEM_PREFIX,
  RequestTimeoutError,
  TooManyRequestsError,
  UnauthorizedError,
  UnavailableError,
  UnreachableError,
  type Problem,
} from "./errors.js";
export { ProtocolError, SseParser, type ServerSentEvent } from "./sse.js";
export {
  ChangeStream,
  EventStream,
  LiveQuery,
  type Change,
  type Document,
  type LiveEvent,
  type Reconnect,
  type StreamOptions,
  type Unsubscribe,
} from "./streams.js";
export { VERSION } from "./version.js";
