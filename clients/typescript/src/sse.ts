/**
 * An incremental `text/event-stream` parser, as the HTML standard describes it, fed the bytes of
 * a `fetch` response body as they arrive. Reading the body ourselves (instead of `EventSource`)
 * lets a stream send `Authorization` and `Last-Event-ID`, and works the same in Node.js and in
 * browsers.
 */

/** The longest line the parser holds before it gives up on the stream. */
export const MAX_LINE_CHARS = 16 * 1024 * 1024;

/** One event: its name (`message` when none), its data (lines joined by `\n`) and its own `id`. */
export interface ServerSentEvent {
  readonly event: string;
  readonly data: string;
  /** The `id` field of this event only; undefined when it had none. */
  readonly id: string | undefined;
}

/** The peer sent something that is not an event stream. */
export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProtocolError";
  }
}

/**
 * Parses event-stream bytes incrementally: lines end with CRLF, LF or CR; a blank line ends an
 * event; lines starting with `:` are comments; an event without data is not dispatched. A UTF-8
 * character or a CRLF split across two reads is put together again.
 */
export class SseParser {
  private readonly decoder = new TextDecoder("utf-8");
  private pending = "";
  private event = "";
  private data: string[] = [];
  private id: string | undefined = undefined;

  /** Takes bytes (or text) and returns the events they complete. */
  feed(chunk: Uint8Array | string): ServerSentEvent[] {
    const text = typeof chunk === "string" ? chunk : this.decoder.decode(chunk, { stream: true });
    const buf = this.pending + text;
    const events: ServerSentEvent[] = [];
    let start = 0;
    for (let i = 0; i < buf.length; i++) {
      const c = buf.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      if (c === 13) {
        if (i + 1 === buf.length) break; // a CR at the end may be half of a CRLF: wait for more
        this.line(buf.slice(start, i), events);
        if (buf.charCodeAt(i + 1) === 10) i++;
      } else {
        this.line(buf.slice(start, i), events);
      }
      start = i + 1;
    }
    this.pending = buf.slice(start);
    if (this.pending.length > MAX_LINE_CHARS) throw new ProtocolError("event stream line too long");
    return events;
  }

  private line(line: string, events: ServerSentEvent[]): void {
    if (line === "") {
      if (this.data.length > 0) {
        events.push({ event: this.event || "message", data: this.data.join("\n"), id: this.id });
      }
      this.event = "";
      this.data = [];
      this.id = undefined;
      return;
    }
    if (line.startsWith(":")) return;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (name === "event") this.event = value;
    else if (name === "data") this.data.push(value);
    else if (name === "id" && !value.includes("\0")) this.id = value;
  }
}
