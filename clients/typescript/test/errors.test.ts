/** Every typed error, each made by a real node (and UnreachableError by no node at all). */

import assert from "node:assert/strict";
import net from "node:net";
import { after, before, describe, it } from "node:test";
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  LumaDBError,
  NotFoundError,
  PayloadTooLargeError,
  PreconditionFailedError,
  TooManyRequestsError,
  UnauthorizedError,
  UnavailableError,
  UnreachableError,
  type ChangeStream,
} from "@lumadb/client";
import { client, createKey, env, unique } from "./support.js";

describe("typed errors from a real node", () => {
  const c = client();
  const db = unique("errors");
  const coll = c.collection(db, "things");
  before(async () => {
    await c.createDatabase(db);
    await coll.create();
  });
  after(() => c.dropDatabase(db));

  it("BadRequestError for a bad name", async () => {
    await assert.rejects(c.createDatabase("bad*name"), (e: unknown) => {
      assert.ok(e instanceof BadRequestError);
      assert.ok(e instanceof LumaDBError);
      assert.ok(e instanceof Error);
      assert.equal(e.name, "BadRequestError");
      assert.equal(e.status, 400);
      assert.equal(e.slug, "invalid-name");
      assert.equal(e.type, "urn:lumadb:problem:invalid-name");
      assert.ok(e.title);
      assert.match(e.detail ?? "", /bad\*name/);
      assert.match(e.message, /^400 /);
      return true;
    });
  });

  it("UnauthorizedError without valid credentials", async () => {
    const user = env("LUMADB_USER");
    for (const bad of [
      client({ apiKey: "luma_notakey_notasecret" }),
      client({}),
      client({ user, password: "wrong password" }),
    ]) {
      await assert.rejects(bad.listDatabases(), (e: unknown) => {
        assert.ok(e instanceof UnauthorizedError, String(e));
        assert.equal(e.status, 401);
        assert.equal(e.slug, "unauthorized");
        return true;
      });
    }
  });

  it("signs in with a user and password", async () => {
    const user = env("LUMADB_USER");
    const byPassword = client({ user, password: env("LUMADB_PASSWORD") });
    assert.equal((await byPassword.whoami()).name, user);
    assert.ok((await byPassword.listDatabases()).some((d) => d.name === db));
  });

  it("ForbiddenError for a read-only key", async () => {
    const reader = client({ apiKey: await createKey(unique("reader"), ["read"]) });
    await coll.put("r1", { v: 1 });
    assert.equal((await reader.collection(db, "things").get("r1")).v, 1);
    await assert.rejects(reader.collection(db, "things").put("r1", { v: 2 }), (e: unknown) => {
      assert.ok(e instanceof ForbiddenError);
      assert.equal(e.status, 403);
      assert.equal(e.slug, "forbidden");
      return true;
    });
    assert.equal((await coll.get("r1")).v, 1);
  });

  it("NotFoundError for a missing collection", async () => {
    await assert.rejects(c.collection(db, "nothing-here").get("x"), (e: unknown) => {
      assert.ok(e instanceof NotFoundError);
      assert.equal(e.status, 404);
      assert.equal(e.slug, "collection-not-found");
      return true;
    });
  });

  it("ConflictError and PreconditionFailedError (a version mismatch)", async () => {
    await assert.rejects(coll.create({ preImages: true }), (e: unknown) => {
      assert.ok(e instanceof ConflictError);
      assert.equal(e.status, 409);
      assert.equal(e.field, "/preImages");
      return true;
    });
    const version = (await coll.put("p1", { v: 1 }))._version;
    await assert.rejects(coll.delete("p1", { ifMatch: version + 1000 }), (e: unknown) => {
      assert.ok(e instanceof PreconditionFailedError);
      assert.equal(e.status, 412);
      assert.equal(e.currentVersion, version);
      return true;
    });
    assert.equal((await coll.get("p1"))._version, version);
  });

  it("PayloadTooLargeError for a document over the node's limit", async () => {
    const big = "x".repeat(1024 * 1024 + 10); // lumadb.limits.max-document-bytes is 1 MiB
    await assert.rejects(coll.put("big", { big }), (e: unknown) => {
      assert.ok(e instanceof PayloadTooLargeError, String(e));
      assert.equal(e.status, 413);
      return true;
    });
    await assert.rejects(coll.get("big"), NotFoundError);
  });

  it("TooManyRequestsError with retryAfter when a key holds too many streams", async () => {
    const limit = Number(env("LUMADB_TEST_MAX_STREAMS"));
    const key = await createKey(unique("streams"), ["read"]);
    const things = client({ apiKey: key }).collection(db, "things");
    const streams: ChangeStream[] = Array.from({ length: limit }, () => things.changes());
    const extra = things.changes();
    try {
      for (const s of streams) assert.ok(await s.connect());
      await assert.rejects(extra.connect(), (e: unknown) => {
        assert.ok(e instanceof TooManyRequestsError, String(e));
        assert.equal(e.status, 429);
        assert.equal(e.slug, "too-many-subscriptions");
        assert.equal(e.retryAfter, 1);
        return true;
      });
      assert.ok(extra.closed);
    } finally {
      for (const s of streams) s.close();
      extra.close();
    }
  });

  it("UnavailableError with retryAfter when an address holds too many connections", async () => {
    const limit = Number(env("LUMADB_TEST_MAX_CONNECTIONS"));
    const url = new URL(env("LUMADB_URL"));
    // A client of another origin (`localhost`, the same loopback address) has no pooled
    // keep-alive connection to reuse: its request opens a new connection, past the limit.
    const fresh = client(undefined, `http://localhost:${url.port}`);
    const held = await Promise.all(
      Array.from(
        { length: limit },
        () =>
          new Promise<net.Socket>((resolve, reject) => {
            const socket = net.connect(Number(url.port), url.hostname, () => resolve(socket));
            socket.on("error", reject);
          }),
      ),
    );
    try {
      await assert.rejects(fresh.listDatabases(), (e: unknown) => {
        assert.ok(e instanceof UnavailableError, String(e));
        assert.equal(e.status, 503);
        assert.equal(e.slug, "too-many-connections");
        assert.equal(e.retryAfter, 1);
        return true;
      });
    } finally {
      for (const s of held) s.destroy();
    }
    // The node counts the connections down as it sees them close: wait for that, so that the
    // other tests are not refused.
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        await client(undefined, `http://localhost:${url.port}`).listDatabases();
        break;
      } catch (e) {
        if (!(e instanceof UnavailableError) || Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  });

  it("UnreachableError when no node answers, for a request and for a stream", async () => {
    // bound, never listening: connections are refused
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const nobody = client({ timeoutMs: 5_000 }, `http://127.0.0.1:${port}`);
    await assert.rejects(nobody.listDatabases(), (e: unknown) => {
      assert.ok(e instanceof UnreachableError, String(e));
      assert.equal(e.status, 0);
      assert.equal(e.url, `http://127.0.0.1:${port}`);
      assert.ok(e.cause, "the network error is kept as the cause");
      return true;
    });
    const stream = nobody.collection("a", "b").changes();
    await assert.rejects(stream.next(), UnreachableError);
    assert.deepEqual(await stream.next(), { done: true, value: undefined }); // it stays ended
  });

  it("UnreachableError when the node does not answer in time", async () => {
    // a peer that accepts the connection and never answers
    const sockets: net.Socket[] = [];
    const silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    try {
      const port = (silent.address() as net.AddressInfo).port;
      const slow = client({ timeoutMs: 300 }, `http://127.0.0.1:${port}`);
      const started = Date.now();
      await assert.rejects(slow.listDatabases(), (e: unknown) => {
        assert.ok(e instanceof UnreachableError, String(e));
        assert.match(e.message, /no answer within 300 ms/);
        return true;
      });
      assert.ok(Date.now() - started < 5_000);
    } finally {
      for (const s of sockets) s.destroy();
      silent.close();
    }
  });

  it("rejects with the caller's reason when the caller aborts", async () => {
    const controller = new AbortController();
    controller.abort(new Error("changed my mind"));
    await assert.rejects(c.request("GET", "/api/v1", { signal: controller.signal }), /changed my mind/);
  });
});
