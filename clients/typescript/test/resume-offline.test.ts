/**
 * How streams resume, against a scripted event-stream peer on loopback (no node needed).
 *
 * The peer plays connections one after another and records each request, so these tests check
 * what the client sends when it reconnects (`Last-Event-ID` = the last token it handed out) and
 * that it neither repeats nor drops an event across a connection that broke or ended. The same
 * behaviour against a real node is in restart.test.ts.
 */

import assert from "node:assert/strict";
import net from "node:net";
import { describe, it } from "node:test";
import { Client, CollectionDroppedError, NotFoundError, UnreachableError, type Change } from "@lumadb/client";
import { FAST } from "./support.js";

type Script = (socket: net.Socket, request: string) => Promise<void> | void;

function frame(event: string, data: unknown, id?: string): string {
  return `${id ? `id: ${id}\n` : ""}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function change(n: number): string {
  const token = `t${n}`;
  const envelope = {
    op: "c",
    before: null,
    after: { _id: `d${n}`, _version: n },
    source: { shard: 0, seq: n, id: `d${n}`, version: n },
    token,
  };
  return frame("change", envelope, token);
}

/** Answers the i-th connection with the i-th script; keeps every request head it read. */
class Peer {
  readonly requests: string[] = [];
  readonly sockets = new Set<net.Socket>();
  /** Every connection in the order they came, and whether it has closed. */
  readonly connections: Array<{ closed: boolean }> = [];
  readonly server: net.Server;
  #next = 0;

  constructor(readonly scripts: Script[]) {
    this.server = net.createServer((socket) => this.#accept(socket));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as net.AddressInfo).port}`;
  }

  #accept(socket: net.Socket): void {
    this.sockets.add(socket);
    const connection = { closed: false };
    this.connections.push(connection);
    socket.on("close", () => {
      this.sockets.delete(socket);
      connection.closed = true;
    });
    socket.on("error", () => undefined);
    const script = this.scripts[this.#next++];
    let head = "";
    const onData = (data: Buffer): void => {
      head += data.toString("latin1");
      if (!head.includes("\r\n\r\n")) return;
      socket.off("data", onData);
      this.requests.push(head);
      if (!script) {
        socket.destroy();
        return;
      }
      Promise.resolve(script(socket, head)).catch(() => socket.destroy());
    };
    socket.on("data", onData);
  }

  close(): void {
    for (const s of this.sockets) s.destroy();
    this.server.close();
  }
}

function streamHead(socket: net.Socket): void {
  socket.write("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
}

function chunk(socket: net.Socket, data: string): void {
  const bytes = Buffer.from(data);
  socket.write(Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`), bytes, Buffer.from("\r\n")]));
}

function lastEventId(request: string): string | undefined {
  for (const line of request.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && line.slice(0, colon).toLowerCase() === "last-event-id") return line.slice(colon + 1).trim();
  }
  return undefined;
}

function header(request: string, name: string): string | undefined {
  for (const line of request.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon > 0 && line.slice(0, colon).toLowerCase() === name) return line.slice(colon + 1).trim();
  }
  return undefined;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function changesScripts(): Script[] {
  const first: Script = async (socket) => {
    streamHead(socket);
    const second = change(2);
    chunk(socket, frame("subscribed", { token: "t0" }) + change(1) + second.slice(0, 10));
    await sleep(20);
    chunk(socket, second.slice(10) + frame("heartbeat", { token: "t2h" }, "t2h"));
    // then the connection breaks in the middle of a chunk
    socket.end("40\r\nid: t3");
  };
  const refusedOnce: Script = (socket) => {
    const body = '{"type":"urn:lumadb:problem:shard-unavailable","title":"Shard unavailable","status":503}';
    socket.end(
      `HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
  };
  const second: Script = (socket) => {
    streamHead(socket);
    chunk(socket, frame("subscribed", { token: "t2h" }) + change(3));
    socket.end("0\r\n\r\n"); // the node ended the stream
  };
  const third: Script = (socket) => {
    streamHead(socket);
    chunk(socket, frame("subscribed", { token: "t3" }) + change(4));
    chunk(socket, frame("dropped", { db: "d", collection: "c", message: "the collection was dropped" }));
  };
  return [first, refusedOnce, second, third];
}

function checkChanges(peer: Peer, ids: string[]): void {
  assert.deepEqual(ids, ["d1", "d2", "d3", "d4"]);
  assert.deepEqual(
    peer.requests.map(lastEventId),
    [undefined, "t2h", "t2h", "t3"],
  );
  for (const r of peer.requests) {
    assert.match(r, /^GET \/api\/v1\/db\/c\/_changes\?from=now HTTP\/1\.1\r\n/);
    assert.equal(header(r, "accept"), "text/event-stream");
    assert.equal(header(r, "authorization"), "Bearer luma_test");
  }
}

describe("change streams resume after the last token", () => {
  it("as an async iterator", async () => {
    const peer = new Peer(changesScripts());
    const url = await peer.start();
    try {
      const stream = new Client(url, { apiKey: "luma_test" }).collection("db", "c").changes({ reconnect: FAST });
      const ids: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const c of stream) ids.push(c.id);
        })(),
        CollectionDroppedError,
      );
      checkChanges(peer, ids);
      assert.equal(stream.token, "t4");
      assert.deepEqual(await stream.next(), { done: true, value: undefined }); // it stays ended
    } finally {
      peer.close();
    }
  });

  it("with a callback", async () => {
    const peer = new Peer(changesScripts());
    const url = await peer.start();
    try {
      const ids: string[] = [];
      const errors: Error[] = [];
      const unsubscribe = new Client(url, { apiKey: "luma_test" })
        .collection("db", "c")
        .onChange((c: Change) => void ids.push(c.id), { reconnect: FAST, onError: (e) => errors.push(e) });
      const ended = await unsubscribe.done;
      assert.ok(ended instanceof CollectionDroppedError);
      assert.deepEqual(errors, [ended]);
      checkChanges(peer, ids);
    } finally {
      peer.close();
    }
  });

  it("but a refused first connection rejects at once", async () => {
    const refuse: Script = (socket) => {
      const body = '{"type":"urn:lumadb:problem:not-found","title":"Not found","status":404,"detail":"no c"}';
      socket.end(`HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
    };
    const peer = new Peer([refuse]);
    const url = await peer.start();
    try {
      await assert.rejects(new Client(url).collection("db", "c").changes().next(), (e: unknown) => {
        assert.ok(e instanceof NotFoundError);
        assert.equal(e.detail, "no c");
        return true;
      });
      assert.equal(peer.requests.length, 1);
    } finally {
      peer.close();
    }
  });

  it("reconnects at once after an overflow, from the overflow's token", async () => {
    const first: Script = (socket) => {
      streamHead(socket);
      chunk(socket, frame("subscribed", { token: "t0" }) + change(1) + frame("overflow", { token: "t1" }));
    };
    const second: Script = (socket) => {
      streamHead(socket);
      chunk(socket, frame("subscribed", { token: "t1" }) + change(2));
    };
    const peer = new Peer([first, second]);
    const url = await peer.start();
    const stream = new Client(url).collection("db", "c").changes({ reconnect: { initialDelayMs: 10_000 } });
    try {
      const started = Date.now();
      const ids = [(await stream.next()).value?.id, (await stream.next()).value?.id];
      assert.deepEqual(ids, ["d1", "d2"]);
      assert.ok(Date.now() - started < 5_000, "an overflow reconnects without the backoff");
      assert.deepEqual(peer.requests.map(lastEventId), [undefined, "t1"]);
    } finally {
      stream.close();
      peer.close();
    }
  });

  it("takes a silent connection for dead after readTimeoutMs", async () => {
    const silent: Script = (socket) => {
      streamHead(socket);
      chunk(socket, frame("subscribed", { token: "t0" }) + change(1));
    };
    const second: Script = (socket) => {
      streamHead(socket);
      chunk(socket, frame("subscribed", { token: "t1" }) + change(2));
    };
    const peer = new Peer([silent, second]);
    const url = await peer.start();
    const stream = new Client(url).collection("db", "c").changes({ reconnect: { ...FAST, readTimeoutMs: 300 } });
    try {
      assert.equal((await stream.next()).value?.id, "d1");
      assert.equal((await stream.next()).value?.id, "d2");
      assert.deepEqual(peer.requests.map(lastEventId), [undefined, "t1"]);
    } finally {
      stream.close();
      peer.close();
    }
  });

  it("gives up after giveUpAfterMs without a node", async () => {
    const once: Script = (socket) => {
      streamHead(socket);
      chunk(socket, frame("subscribed", { token: "t0" }) + change(1));
      socket.end("0\r\n\r\n");
    };
    const peer = new Peer([once]);
    const url = await peer.start();
    const stream = new Client(url)
      .collection("db", "c")
      .changes({ reconnect: { initialDelayMs: 20, maxDelayMs: 50, giveUpAfterMs: 300 } });
    try {
      assert.equal((await stream.next()).value?.id, "d1");
      peer.close(); // no node any more: every reconnection is refused
      await assert.rejects(stream.next(), (e: unknown) => {
        assert.ok(e instanceof UnreachableError, String(e));
        assert.match(e.message, /could not reconnect for 300 ms/);
        return true;
      });
      assert.ok(stream.closed);
      assert.equal(stream.token, "t1");
    } finally {
      stream.close();
    }
  });
});

function hold(socket: net.Socket): void {
  streamHead(socket);
  chunk(socket, frame("subscribed", { token: "t0" }));
}

describe("closing a stream", () => {
  it("close() ends a waiting next()", async () => {
    const peer = new Peer([hold]);
    const url = await peer.start();
    try {
      const stream = new Client(url).collection("db", "c").changes();
      assert.equal(await stream.connect(), "t0");
      const waiting = stream.next();
      const state = await Promise.race([waiting.then(() => "ended"), sleep(300).then(() => "waiting")]);
      assert.equal(state, "waiting");
      stream.close();
      assert.deepEqual(await waiting, { done: true, value: undefined });
      assert.equal(stream.token, "t0");
      assert.equal(peer.requests.length, 1, "a closed stream does not reconnect");
      // its connection is gone: the peer sees it close
      const connection = peer.connections[0] as { closed: boolean };
      for (let i = 0; !connection.closed && i < 100; i++) await sleep(20);
      assert.ok(connection.closed, "the stream's connection is closed");
    } finally {
      peer.close();
    }
  });

  it("aborting its signal ends a waiting for-await loop", async () => {
    const peer = new Peer([hold]);
    const url = await peer.start();
    try {
      const controller = new AbortController();
      const stream = new Client(url).collection("db", "c").changes({ signal: controller.signal });
      await stream.connect();
      const loop = (async () => {
        const seen = [];
        for await (const c of stream) seen.push(c);
        return seen;
      })();
      await sleep(200);
      controller.abort();
      assert.deepEqual(await loop, []);
    } finally {
      peer.close();
    }
  });
});

describe("live queries resume", () => {
  it("without a new snapshot, and reset when they cannot", async () => {
    const [a, b, c] = ["a", "b", "c"].map((x) => ({ _id: x, _version: 1, v: x }));
    const first: Script = (socket) => {
      streamHead(socket);
      chunk(socket, frame("subscribed", { token: "s", resumed: false }) + frame("result", a) + frame("result", b));
      chunk(socket, frame("ready", { token: "s", count: 2 }, "s"));
      chunk(socket, frame("added", { id: "c", version: 1, document: c, token: "r1" }, "r1"));
      socket.end("0\r\n\r\n");
    };
    const second: Script = (socket) => {
      streamHead(socket);
      chunk(socket, frame("subscribed", { token: "r1", resumed: true }));
      chunk(socket, frame("ready", { token: "r1", count: 0 }, "r1")); // no second ready for the consumer
      chunk(socket, frame("removed", { id: "a", version: 2, document: null, token: "r2" }, "r2"));
      socket.destroy(); // the connection breaks
    };
    const third: Script = (socket) => {
      // The node could not resume (a limited query): a fresh result follows.
      streamHead(socket);
      chunk(socket, frame("subscribed", { token: "x", resumed: false }) + frame("result", c));
      chunk(socket, frame("ready", { token: "x", count: 1 }, "x"));
    };
    const peer = new Peer([first, second, third]);
    const url = await peer.start();
    const live = new Client(url).collection("db", "c").live({ filter: { v: { $exists: true } }, reconnect: FAST });
    try {
      const seen: Array<[string, string | null]> = [];
      for await (const event of live) {
        seen.push([event.kind, event.id]);
        if (event.kind === "ready" && event.token === "x") break;
      }
      assert.deepEqual(seen, [
        ["result", "a"],
        ["result", "b"],
        ["ready", null],
        ["added", "c"],
        ["removed", "a"],
        ["reset", null],
        ["result", "c"],
        ["ready", null],
      ]);
      assert.deepEqual(live.results, new Map([["c", c]]));
      assert.deepEqual(
        peer.requests.map(lastEventId),
        [undefined, "r1", "r2"],
      );
      assert.match(peer.requests[0] ?? "", /^GET \/api\/v1\/db\/c\/_live\?filter=%7B%22v%22%3A%7B%22%24exists%22%3Atrue%7D%7D /);
    } finally {
      live.close();
      peer.close();
    }
  });
});
