/**
 * Typed errors made from the node's `application/problem+json` answers.
 *
 * Every refusal of a LumaDB node is an RFC 9457 problem document with a stable `type`
 * (`urn:lumadb:problem:<slug>`), a `title`, a `detail` and, where one part of the request is to
 * blame, a `field` (a JSON pointer into the body, or the name of a header or parameter).
 * {@link errorFromProblem} turns one into the subclass of {@link LumaDBError} that its status
 * stands for, so callers can catch what they can handle:
 *
 * ```ts
 * try {
 *   await orders.put("o1", doc, { ifMatch: 3 });
 * } catch (e) {
 *   if (e instanceof PreconditionFailedError) console.log("now at version", e.currentVersion);
 *   else throw e;
 * }
 * ```
 */

/** The prefix of every LumaDB problem type. */
export const PROBLEM_PREFIX = "urn:lumadb:problem:";

/** A problem document as the node sends it; extra members (`currentVersion`, `sqlState`, ...) included. */
export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  field?: string;
  [member: string]: unknown;
}

/**
 * A request the node refused, or one that could not be made.
 *
 * `status` is the HTTP status (0 when no answer came, see {@link UnreachableError}); `type` the
 * problem type (`urn:lumadb:problem:<slug>`, {@link slug} holds the last part); `title` a short
 * summary of the type; `detail` what went wrong with this request; `field` the offending part of
 * the request (a JSON pointer such as `/filter/age/$gte`, or a header name); `sqlState` the
 * SQLSTATE of a failed SQL statement; `problem` the whole problem document.
 */
export class LumaDBError extends Error {
  readonly status: number;
  readonly type: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly field: string | undefined;
  readonly sqlState: string | undefined;
  readonly problem: Problem;

  constructor(
    status: number,
    type = "about:blank",
    title = "",
    detail?: string,
    field?: string,
    problem: Problem = {},
    options?: { cause?: unknown },
  ) {
    let message = status ? `${status} ${title}` : title;
    if (detail) message += `: ${detail}`;
    if (field) message += ` (at ${field})`;
    super(message, options);
    this.name = new.target.name;
    this.status = status;
    this.type = type;
    this.title = title;
    this.detail = detail;
    this.field = field;
    this.problem = { ...problem };
    this.sqlState = typeof problem.sqlState === "string" ? problem.sqlState : undefined;
  }

  /** The last part of {@link type}: `precondition-failed`, `invalid-query`, ... */
  get slug(): string {
    return this.type.startsWith(PROBLEM_PREFIX) ? this.type.slice(PROBLEM_PREFIX.length) : this.type;
  }

  /** Seconds to wait before trying again, when the node said (429 and 503); else undefined. */
  get retryAfter(): number | undefined {
    const value = this.problem.retryAfter;
    return typeof value === "number" ? value : undefined;
  }
}

/** 400: the request is malformed (bad JSON, name, query, header, schema violation, SQL error...). */
export class BadRequestError extends LumaDBError {}

/** 401: no credentials, or credentials the node does not accept. */
export class UnauthorizedError extends LumaDBError {}

/** 403: the caller is known, but its roles do not allow this request. */
export class ForbiddenError extends LumaDBError {}

/** 404: no such database, collection, document, index or route. */
export class NotFoundError extends LumaDBError {}

/** 408: a query ran past its deadline (`query-timeout`) and was cancelled. */
export class RequestTimeoutError extends LumaDBError {}

/** 409: the request contradicts what exists (another shard count, another index, ...). */
export class ConflictError extends LumaDBError {}

/** 410: what the request names existed once and cannot be read any more. */
export class GoneError extends LumaDBError {}

/** 410 `history-lost`: journal retention dropped changes a resume position needs. */
export class HistoryLostError extends GoneError {}

/** 410 `collection-dropped`: the collection of a stream was dropped; the stream has ended. */
export class CollectionDroppedError extends GoneError {}

/**
 * 412: an `If-Match`/`If-None-Match` precondition did not hold (a version mismatch).
 * {@link currentVersion} is the document's version now (0 when it does not exist).
 */
export class PreconditionFailedError extends LumaDBError {
  get currentVersion(): number | undefined {
    const value = this.problem.currentVersion;
    return typeof value === "number" ? value : undefined;
  }
}

/** 413: a document or request over the node's limit. */
export class PayloadTooLargeError extends LumaDBError {}

/** 429: a rate limit or the number of open streams; see {@link LumaDBError.retryAfter}. */
export class TooManyRequestsError extends LumaDBError {}

/**
 * 503: the node cannot answer now (a shard, its storage, too many connections).
 * For a write the outcome is unknown: it may or may not have happened.
 */
export class UnavailableError extends LumaDBError {}

/**
 * No answer: the node could not be reached, the connection broke before it answered, or the
 * request timed out. For a write sent before the connection broke the outcome is unknown.
 * `cause` holds the underlying error.
 */
export class UnreachableError extends LumaDBError {
  readonly url: string | undefined;

  constructor(detail: string, url?: string, cause?: unknown) {
    super(0, "urn:lumadb:client:unreachable", "Unreachable", detail, undefined, {}, { cause });
    this.url = url;
  }
}

type ErrorClass = new (
  status: number,
  type?: string,
  title?: string,
  detail?: string,
  field?: string,
  problem?: Problem,
) => LumaDBError;

const BY_STATUS: ReadonlyMap<number, ErrorClass> = new Map<number, ErrorClass>([
  [400, BadRequestError],
  [401, UnauthorizedError],
  [403, ForbiddenError],
  [404, NotFoundError],
  [408, RequestTimeoutError],
  [409, ConflictError],
  [410, GoneError],
  [412, PreconditionFailedError],
  [413, PayloadTooLargeError],
  [429, TooManyRequestsError],
  [503, UnavailableError],
]);

const BY_SLUG: ReadonlyMap<string, ErrorClass> = new Map<string, ErrorClass>([
  ["history-lost", HistoryLostError],
  ["collection-dropped", CollectionDroppedError],
]);

/**
 * The typed error for an answer with `status` and (possibly) a problem document. `problem` may
 * be undefined or not a problem (a proxy's HTML page): the error then carries `reason` as its
 * title. `retryAfter` is the `Retry-After` header, if any.
 */
export function errorFromProblem(
  status: number,
  problem: unknown,
  reason = "",
  retryAfter?: string | null,
): LumaDBError {
  const doc: Problem =
    problem !== null && typeof problem === "object" && !Array.isArray(problem) ? { ...(problem as Problem) } : {};
  if (retryAfter != null && !("retryAfter" in doc)) {
    const seconds = Number(retryAfter);
    if (retryAfter.trim() !== "" && Number.isFinite(seconds)) doc.retryAfter = seconds;
  }
  const type = typeof doc.type === "string" ? doc.type : "about:blank";
  const slug = type.startsWith(PROBLEM_PREFIX) ? type.slice(PROBLEM_PREFIX.length) : "";
  const cls = BY_SLUG.get(slug) ?? BY_STATUS.get(status) ?? LumaDBError;
  const title = typeof doc.title === "string" ? doc.title : reason;
  const detail = typeof doc.detail === "string" ? doc.detail : undefined;
  const field = typeof doc.field === "string" ? doc.field : undefined;
  return new cls(status, type, title, detail, field, doc);
}
