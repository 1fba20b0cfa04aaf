import { GoneException, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { encodeFrame, ServerFrame } from './protocol';

/** Delivers server frames to one WebSocket connection. `send` resolves false once the client is gone. */
export interface FrameSink {
  send(frame: ServerFrame): Promise<boolean>;
}

/** A sink posting through the API Gateway Management API. A 410 (client gone) is not an error: it stops sending. */
export function managementApiSink(client: ApiGatewayManagementApiClient, connectionId: string): FrameSink {
  let gone = false;
  return {
    async send(frame) {
      if (gone) return false;
      try {
        await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: encodeFrame(frame) }));
        return true;
      } catch (err) {
        if (err instanceof GoneException || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 410) {
          gone = true;
          return false;
        }
        throw err;
      }
    },
  };
}

export interface CoalescerOptions {
  /**
   * Flush buffered text at most this long after it arrived. @default - 40 ms during the first 250 ms of the answer,
   * 150 ms until 2 s, then 300 ms (see FLUSH_SCHEDULE)
   */
  readonly intervalMs?: number;
  /** Flush as soon as this many characters are buffered. @default 4096 */
  readonly maxChars?: number;
}

/**
 * How long text may wait in the buffer, by time since the first delta: quick updates while the reader watches the
 * answer start, then fewer, larger frames (about 45 frames per 1,000 tokens at 100 tokens/s). Each frame is a
 * Management API call, billed and rate limited; the widget reveals text smoothly between frames.
 */
export const FLUSH_SCHEDULE: readonly { readonly untilMs: number; readonly intervalMs: number }[] = [
  { untilMs: 250, intervalMs: 40 },
  { untilMs: 2000, intervalMs: 150 },
  { untilMs: Infinity, intervalMs: 300 },
];

/**
 * Turns a stream of small text deltas into few frames: the first delta goes out at once (time to first token),
 * later ones are batched by the flush schedule (or `intervalMs`) or at `maxChars`, whichever comes first. Frames stay far below the 32 KB
 * limit: one frame carries at most 4,000 characters, which is under 32 KB even if every character needs a 6-byte
 * JSON escape. Frames are sent strictly in order.
 */
export class TextCoalescer {
  static readonly MAX_CHARS_PER_FRAME = 4000;
  private buffer = '';
  private timer: ReturnType<typeof setTimeout> | undefined;
  private chain: Promise<void> = Promise.resolve();
  private first = true;
  private failure: unknown;
  private startedAt = 0;
  private readonly intervalMs: number | undefined;
  private readonly maxChars: number;

  constructor(private readonly emit: (delta: string) => Promise<unknown>, options: CoalescerOptions = {}) {
    this.intervalMs = options.intervalMs;
    this.maxChars = Math.min(options.maxChars ?? 4096, TextCoalescer.MAX_CHARS_PER_FRAME);
  }

  private interval(): number {
    if (this.intervalMs !== undefined) return this.intervalMs;
    const elapsed = Date.now() - this.startedAt;
    return FLUSH_SCHEDULE.find((s) => elapsed < s.untilMs)!.intervalMs;
  }

  push(delta: string): void {
    if (!delta) return;
    this.buffer += delta;
    if (this.first) {
      this.first = false;
      this.startedAt = Date.now();
      this.flush();
    } else if (this.buffer.length >= this.maxChars) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.interval());
    }
  }

  /** Sends everything buffered and waits until every frame so far has been handed over. */
  async close(): Promise<void> {
    this.flush();
    await this.chain;
    if (this.failure) throw this.failure;
  }

  private flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.buffer) {
      const piece = this.buffer.slice(0, TextCoalescer.MAX_CHARS_PER_FRAME);
      this.buffer = this.buffer.slice(piece.length);
      this.chain = this.chain.then(async () => {
        if (this.failure) return;
        try {
          await this.emit(piece);
        } catch (err) {
          this.failure = err;
        }
      });
    }
  }
}

/** Splits text into pieces of at most `max` UTF-16 units, never between the two halves of a surrogate pair. */
export function splitText(text: string, max: number = TextCoalescer.MAX_CHARS_PER_FRAME): string[] {
  const pieces: string[] = [];
  for (let i = 0; i < text.length;) {
    let end = Math.min(i + max, text.length);
    const code = text.charCodeAt(end - 1);
    if (end < text.length && end - i > 1 && code >= 0xd800 && code <= 0xdbff) end--;
    pieces.push(text.slice(i, end));
    i = end;
  }
  return pieces;
}

type StartFrame = Extract<ServerFrame, { type: 'start' }>;

/**
 * The frames of one answer on their way to the client, which may move to a new connection while the answer streams
 * (`resume`). Frames are sent one at a time, strictly in order; `moveTo` is queued with them, so when it runs the
 * relay knows exactly which frames the old connection was sent: it replays them to the new connection as a snapshot
 * (a `start` with `resumed: true`, then reasoning, tool and citation frames and text, each marked `snapshot: true`, in
 * frames far below 32 KB, then the `end` or `error` if it was sent), and every later frame goes to the new connection
 * only. Nothing is lost or sent twice to one connection.
 */
export class AnswerRelay {
  private sink: FrameSink;
  private current: string;
  /** Connections the answer left: a stale (eventually consistent) read naming one of them is ignored. */
  private readonly left = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();
  private start?: StartFrame;
  private base = { text: '', reasoning: '' };
  private text = '';
  private reasoning = '';
  private readonly parts: Extract<ServerFrame, { type: 'toolUse' | 'toolResult' | 'citation' }>[] = [];
  private last?: ServerFrame;

  /**
   * @param connectionId the connection the request came from
   * @param sink the sink for that connection
   * @param sinkFor sinks for other connections (without it, the answer cannot move)
   */
  constructor(connectionId: string, sink: FrameSink, private readonly sinkFor?: (connectionId: string) => FrameSink) {
    this.current = connectionId;
    this.sink = sink;
  }

  /** The connection frames go to now (once every queued move has run). */
  get connectionId(): string {
    return this.current;
  }

  /** For `continue`: the answer already had this text and reasoning; a snapshot starts with them. */
  continues(base: { text: string; reasoning?: string }): void {
    this.base = { text: base.text, reasoning: base.reasoning ?? '' };
  }

  send(frame: ServerFrame): Promise<boolean> {
    return this.enqueue(() => {
      this.record(frame);
      return this.sink.send(frame);
    });
  }

  /**
   * Sends the rest of the answer to `connectionId` from now on, after a snapshot of what was sent so far. Resolves
   * whether the snapshot was delivered (false: the new connection is gone too), or undefined when nothing moved: the
   * connection is the one in use, or one the answer already left.
   */
  moveTo(connectionId: string): Promise<boolean | undefined> {
    return this.enqueue(async () => {
      if (!this.sinkFor || connectionId === this.current || this.left.has(connectionId)) return undefined;
      this.left.add(this.current);
      this.current = connectionId;
      this.sink = this.sinkFor(connectionId);
      for (const frame of this.snapshot()) {
        if (!(await this.sink.send(frame))) return false;
      }
      return true;
    });
  }

  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    const run = this.chain.then(op, op);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private record(frame: ServerFrame): void {
    switch (frame.type) {
      case 'start': this.start = frame; break;
      case 'text': this.text += frame.delta; break;
      case 'reasoning': this.reasoning += frame.delta; break;
      case 'toolUse': case 'toolResult': case 'citation': this.parts.push(frame); break;
      case 'end': case 'error': this.last = frame; break;
      default: break;
    }
  }

  private snapshot(): ServerFrame[] {
    if (!this.start) return this.last ? [this.last] : [];
    const ids = { requestId: this.start.requestId, conversationId: this.start.conversationId, messageId: this.start.messageId };
    return [
      { ...this.start, resumed: true },
      ...splitText(this.base.reasoning + this.reasoning).map((delta) => ({ type: 'reasoning' as const, ...ids, delta, snapshot: true as const })),
      ...this.parts.map((frame) => ({ ...frame, snapshot: true as const })),
      ...splitText(this.base.text + this.text).map((delta) => ({ type: 'text' as const, ...ids, delta, snapshot: true as const })),
      ...(this.last ? [this.last] : []),
    ];
  }
}
