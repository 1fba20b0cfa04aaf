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
