/**
 * Streaming figures through the whole local stack (WebSocket stand-in, ws and worker handlers, DynamoDB, the Bedrock
 * fake over HTTP/2 with the real SDK):
 * - stream.addedTtftMs: time to first token seen by the client minus the model's own time to first token (median);
 * - stream.framesPer1000Tokens: text frames for a 1,000-token answer streamed at 100 tokens/s;
 * - stream.tokensPerSecond: relay throughput for a 5,000-token answer the model emits as fast as it can.
 */
import type { FakeScript } from '../src/local/emulators/bedrock';
import { startPlayground } from '../src/local/playground';
import { newRequestId, WsClient } from '../src/local/ws-client';

const MODEL_TTFT_MS = 100;

export async function streamFigures(): Promise<Record<string, number>> {
  let script: FakeScript = { steps: [] };
  const pg = await startPlayground({ quiet: true, respond: () => script });
  try {
    const client = await WsClient.connect(pg.webSocketUrl, pg.issueToken('alice'));
    const run = async (s: FakeScript) => {
      script = s;
      const requestId = newRequestId();
      const t0 = performance.now();
      client.send({ action: 'sendMessage', v: 1, requestId, content: [{ text: 'benchmark' }] });
      const last = await client.until((f) => f.requestId === requestId && (f.type === 'end' || f.type === 'error'), 120_000);
      if (last.type === 'error') throw new Error(`benchmark answer failed: ${last.message}`);
      const frames = client.of(requestId);
      const first = client.times[client.frames.findIndex((f) => f.requestId === requestId && f.type === 'text')];
      const end = client.times[client.frames.indexOf(last)];
      await pg.idle();
      return { ttft: first - t0, total: end - t0, firstAt: first, end, frames };
    };
    const words = (n: number, delayMs: number, firstDelayMs = delayMs) => Array.from({ length: n }, (_, i) => ({
      type: 'text' as const, text: `w${i} `, delayMs: i === 0 ? firstDelayMs : delayMs,
    }));

    // Added time to first token: the model waits MODEL_TTFT_MS before its first token.
    const ttfts: number[] = [];
    for (let i = 0; i < 22; i++) {
      const r = await run({ steps: words(3, 0, MODEL_TTFT_MS) });
      if (i >= 2) ttfts.push(r.ttft - MODEL_TTFT_MS);
    }
    ttfts.sort((a, b) => a - b);

    const paced = await run({ steps: words(1000, 10) });
    const frames = paced.frames.filter((f) => f.type === 'text').length;

    const fast = await run({ steps: words(5000, 0) });
    const seconds = (fast.end - fast.firstAt) / 1000;

    client.close();
    return {
      'stream.addedTtftMs': Math.round(ttfts[Math.floor(ttfts.length / 2)] * 10) / 10,
      'stream.framesPer1000Tokens': frames,
      'stream.tokensPerSecond': Math.round(5000 / seconds),
    };
  } finally {
    await pg.stop();
  }
}
