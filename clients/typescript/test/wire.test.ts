/** The event-stream parser, the problem-to-error mapping and the client's argument checks (no node needed). */

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import {
  apiPath,
  BadRequestError,
  Client,
  CollectionDroppedError,
  errorFromProblem,
  GoneError,
  HistoryLostError,
  LumaDBError,
  PreconditionFailedError,
  SseParser,
  TooManyRequestsError,
  UnavailableError,
  VERSION,
  type ServerSentEvent,
} from "@lumadb/client";

const STREAM = ': a comment\nevent: change\nid: t1\ndata: {"a":1}\n\ndata: first\ndata: second\n\nevent: empty\n\n';
const EXPECTED: ServerSentEvent[] = [
  { event: "change", data: '{"a":1}', id: "t1" },
  { event: "message", data: "first\nsecond", id: undefined },
];

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

describe("the event-stream parser", () => {
  for (const [name, eol] of [
    ["LF", "\n"],
    ["CRLF", "\r\n"],
    ["CR", "\r"],
  ] as const) {
    it(`parses ${name} line endings, whole and byte by byte`, () => {
      const text = STREAM.replaceAll("\n", eol);
      assert.deepEqual(new SseParser().feed(bytes(text)), EXPECTED);
      const parser = new SseParser();
      const events = [...bytes(text)].flatMap((b) => parser.feed(Uint8Array.of(b)));
      assert.deepEqual(events, EXPECTED);
    });
  }

  it("puts a UTF-8 character split across reads together, and drops a leading BOM", () => {
    const all = bytes("\uFEFFdata: ünï✓ 😀\n\n");
    const parser = new SseParser();
    const events = [parser.feed(all.slice(0, 5)), parser.feed(all.slice(5, 11)), parser.feed(all.slice(11))].flat();
    assert.deepEqual(events, [{ event: "message", data: "ünï✓ 😀", id: undefined }]);
  });

  it("holds an unfinished event until its blank line", () => {
    const parser = new SseParser();
    assert.deepEqual(parser.feed(bytes("event: change\ndata: x\n")), []);
    assert.deepEqual(parser.feed(bytes("\n")), [{ event: "change", data: "x", id: undefined }]);
  });

  it("keeps a value's spaces after the first, and ignores an id with NUL and unknown fields", () => {
    const events = new SseParser().feed(bytes("data:  two spaces\nid: a\u0000b\nretry: 5\nfoo\ndata\n\n"));
    assert.deepEqual(events, [{ event: "message", data: " two spaces\n", id: undefined }]);
  });
});

describe("errors from problem documents", () => {
  it("chooses the class by slug, then by status", () => {
    const cases: Array<[number, unknown, new (...args: never[]) => LumaDBError]> = [
      [400, { type: "urn:lumadb:problem:invalid-query" }, BadRequestError],
      [410, { type: "urn:lumadb:problem:history-lost" }, HistoryLostError],
      [410, { type: "urn:lumadb:problem:collection-dropped" }, CollectionDroppedError],
      [410, {}, GoneError],
      [412, { currentVersion: 7 }, PreconditionFailedError],
      [503, undefined, UnavailableError],
      [418, { type: "urn:lumadb:problem:teapot" }, LumaDBError],
    ];
    for (const [status, problem, cls] of cases) {
      const error = errorFromProblem(status, problem, "Reason");
      assert.equal(error.constructor, cls, `${status} ${JSON.stringify(problem)}`);
      assert.equal(error.status, status);
    }
    assert.ok(errorFromProblem(410, { type: "urn:lumadb:problem:history-lost" }) instanceof GoneError);
    assert.equal((errorFromProblem(412, { currentVersion: 7 }) as PreconditionFailedError).currentVersion, 7);
  });

  it("carries every member of the problem, and Retry-After", () => {
    const problem = {
      type: "urn:lumadb:problem:too-many-subscriptions",
      title: "Too many subscriptions",
      status: 429,
      detail: "8 open",
      field: "/x",
      sqlState: "53000",
    };
    const error = errorFromProblem(429, problem, "", "2");
    assert.ok(error instanceof TooManyRequestsError);
    assert.equal(error.slug, "too-many-subscriptions");
    assert.equal(error.retryAfter, 2);
    assert.equal(error.sqlState, "53000");
    assert.equal(error.message, "429 Too many subscriptions: 8 open (at /x)");
    assert.deepEqual(error.problem, { ...problem, retryAfter: 2 });
    const blank = errorFromProblem(502, "<html>bad gateway</html>", "Bad Gateway");
    assert.equal(blank.type, "about:blank");
    assert.equal(blank.title, "Bad Gateway");
    assert.equal(blank.retryAfter, undefined);
  });
});

describe("the client", () => {
  it("takes a node's URL only, and one way to sign in", () => {
    assert.equal(new Client("http://127.0.0.1:8080/").url, "http://127.0.0.1:8080");
    assert.equal(new Client().url, "http://127.0.0.1:8080");
    assert.throws(() => new Client("ftp://x"), TypeError);
    assert.throws(() => new Client("not a url"), TypeError);
    assert.throws(() => new Client("http://h:1/api/v1"), /without a path/);
    assert.throws(() => new Client("http://h:1", { apiKey: "k", user: "u", password: "p" }), /not both/);
    assert.throws(() => new Client("http://h:1", { user: "u" }), /go together/);
  });

  it("reads its settings from the environment", () => {
    const saved = { ...process.env };
    try {
      process.env.LUMADB_URL = "http://db.example:9000";
      process.env.LUMADB_API_KEY = "luma_k";
      assert.equal(Client.fromEnv().url, "http://db.example:9000");
      delete process.env.LUMADB_API_KEY;
      process.env.LUMADB_USER = "ada";
      process.env.LUMADB_PASSWORD = "pw";
      assert.equal(Client.fromEnv({ url: "http://h:1" }).url, "http://h:1");
      assert.doesNotThrow(() => Client.fromEnv({ apiKey: "luma_other" }));
    } finally {
      process.env = saved;
    }
  });

  it("percent-encodes every path segment", () => {
    assert.equal(apiPath("db", "c", "a?b#c d/e%"), "/api/v1/db/c/a%3Fb%23c%20d%2Fe%25");
  });

  it("states the version of its package", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    assert.equal(VERSION, pkg.version);
  });
});
