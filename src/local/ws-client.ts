/** A WebSocket protocol v1 client for the tests, the benchmarks and scripts against the playground. */
import WebSocket from 'ws';

export type Frame = Record<string, any>;

/** A protocol v1 client over a real WebSocket, recording every frame it receives. */
export class WsClient {
  static async connect(url: string, token: string | undefined, protocols?: string[]): Promise<WsClient> {
    const socket = new WebSocket(url, protocols ?? ['bedrock-chat.v1', ...(token ? [token] : [])]);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
      socket.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return new WsClient(socket);
  }

  readonly frames: Frame[] = [];
  /** When each frame arrived (performance.now()), aligned with `frames`. */
  readonly times: number[] = [];
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      this.times.push(performance.now());
      this.frames.push(JSON.parse(data.toString()));
      this.waiters.splice(0).forEach((w) => w());
    });
  }

  send(frame: Frame | string): void {
    this.socket.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  async until(predicate: (f: Frame) => boolean, timeoutMs = 10_000): Promise<Frame> {
    return (await this.untilAll(predicate, 1, timeoutMs))[0];
  }

  async untilAll(predicate: (f: Frame) => boolean, count: number, timeoutMs = 10_000): Promise<Frame[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.filter(predicate);
      if (found.length >= count) return found;
      if (Date.now() > deadline) throw new Error(`no matching frame; got ${JSON.stringify(this.frames.map((f) => f.type))}`);
      await new Promise<void>((r) => { this.waiters.push(r); setTimeout(r, 50); });
    }
  }

  /** Frames of one request. */
  of(requestId: string): Frame[] {
    return this.frames.filter((f) => f.requestId === requestId);
  }

  close(): void {
    this.socket.close();
  }
}

let counter = 0;
export const newRequestId = () => `r${Date.now().toString(36)}${(counter++).toString(36)}`;

/** Sends a frame and waits for the request's final frame (`end` or `error`). */
export async function request(client: WsClient, frame: Frame): Promise<{ ack?: Frame; end: Frame; text: string; frames: Frame[] }> {
  const requestId = frame.requestId ?? newRequestId();
  client.send({ v: 1, ...frame, requestId });
  const end = await client.until((f) => f.requestId === requestId && (f.type === 'end' || f.type === 'error'));
  const frames = client.of(requestId);
  return {
    ack: frames.find((f) => f.type === 'ack'),
    end,
    text: frames.filter((f) => f.type === 'text').map((f) => f.delta).join(''),
    frames,
  };
}
