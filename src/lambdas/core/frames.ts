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
  /** Flush buffered text at most this long after it arrived. @default 40 */
  readonly intervalMs?: number;
  /** Flush as soon as this many characters are buffered. @default 4096 */
  readonly maxChars?: number;
}

/**
 * Turns a stream of small text deltas into few frames: the first delta goes out at once (time to first token),
 * later ones are batched every `intervalMs` or `maxChars`, whichever comes first. Frames stay far below the 32 KB
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
  private readonly intervalMs: number;
  private readonly maxChars: number;

  constructor(private readonly emit: (delta: string) => Promise<unknown>, options: CoalescerOptions = {}) {
    this.intervalMs = options.intervalMs ?? 40;
    this.maxChars = Math.min(options.maxChars ?? 4096, TextCoalescer.MAX_CHARS_PER_FRAME);
  }

  push(delta: string): void {
    if (!delta) return;
    this.buffer += delta;
    if (this.first) {
      this.first = false;
      this.flush();
    } else if (this.buffer.length >= this.maxChars) {
      this.flush();
    } else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
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
