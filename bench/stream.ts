/**
 * Streaming figures through the whole local stack (WebSocket stand-in, ws and worker handlers, DynamoDB, the Bedrock
 * fake over HTTP/2 with the real SDK), side by side with the reference system's pattern (bench/baseline.ts) on the
 * same emulators, runs interleaved:
 * - stream.addedTtftMs / stream.baseline.addedTtftMs: time to first token seen by the client minus the model's own
 *   (median of follow-up messages in one growing conversation each);
 * - stream.criticalPathCalls / stream.baseline.criticalPathCalls: service calls that ran one after another between
 *   the user's send and the ConverseStream request reaching the model, counted on the wire (bench/wire.ts);
 * - stream.framesPer1000Tokens: text frames for a 1,000-token answer streamed at 100 tokens/s;
 * - stream.tokensPerSecond: relay throughput for a 5,000-token answer the model emits as fast as it can.
 */
import { sendBaselineMessage, startBaselineChat } from './baseline';
import { sequentialCalls, startWireProxy, WireCall, WireProxy } from './wire';
import type { FakeScript } from '../src/local/emulators/bedrock';
import { startPlayground } from '../src/local/playground';
import { newRequestId, WsClient } from '../src/local/ws-client';

const MODEL_TTFT_MS = 100;
const RUNS = Number(process.env.BENCH_STREAM_RUNS ?? 22);
const WARMUP = 2;

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const origin = (url: string) => new URL(url).origin;

/** BENCH_TRACE=1: every call of a run on the wire, in ms from the send, and when the model request arrived. */
function trace(side: string, t0: number, modelAt: number, calls: readonly WireCall[]): void {
  if (!process.env.BENCH_TRACE) return;
  const at = (t: number) => Math.round(t - t0);
  console.log(`${side}: model @${at(modelAt)}: ${calls.map((c) => `${c.service}:${c.operation}@${at(c.start)}-${at(c.end)}`).join(' ')}`);
}

export async function streamFigures(): Promise<Record<string, number>> {
  let script: FakeScript = { steps: [] };
  /** When each ConverseStream request reached the Bedrock fake (its body read). */
  const modelStarts: number[] = [];
  const pg = await startPlayground({
    quiet: true,
    // The handlers' sources in this process, with the template's environments merged into process.env: the recording
    // proxies below replace the endpoint variables the handlers read (worker threads would each keep their own copy).
    handlers: 'in-process',
    respond: (req) => {
      if (req.operation === 'ConverseStream') modelStarts.push(performance.now());
      return script;
    },
  });
  const proxies: WireProxy[] = [];
  const proxy = async (service: string, target: string, log: WireCall[]) => {
    const p = await startWireProxy(service, target, log);
    proxies.push(p);
    return p.endpoint;
  };
  try {
    // Our handlers create their clients on first use, from the standard endpoint variables: point those at recording
    // proxies before the first connection.
    const ours: WireCall[] = [];
    const dynamodb = process.env.AWS_ENDPOINT_URL_DYNAMODB!;
    const jwksUri = process.env.JWT_JWKS_URI!;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = await proxy('dynamodb', dynamodb, ours);
    process.env.AWS_ENDPOINT_URL_LAMBDA = await proxy('lambda', process.env.AWS_ENDPOINT_URL_LAMBDA!, ours);
    const callback = new URL(process.env.WEBSOCKET_CALLBACK_URL!);
    process.env.WEBSOCKET_CALLBACK_URL = `${await proxy('management-api', callback.origin, ours)}${callback.pathname}`;
    process.env.JWT_JWKS_URI = `${await proxy('jwks', origin(jwksUri), ours)}${new URL(jwksUri).pathname}`;

    const base: WireCall[] = [];
    const baseline = await startBaselineChat({
      dynamodb: await proxy('dynamodb', dynamodb, base),
      bedrock: process.env.AWS_ENDPOINT_URL_BEDROCK_RUNTIME!,
      jwksUri: `${await proxy('jwks', origin(jwksUri), base)}${new URL(jwksUri).pathname}`,
      issuer: process.env.JWT_ISSUER!,
      audience: process.env.JWT_AUDIENCE!,
      modelId: pg.defaultModelId,
      managementEndpoint: async (url) => `${await proxy('management-api', origin(url), base)}${new URL(url).pathname}`,
    });
    proxies.push({ endpoint: '', stop: baseline.stop });

    const token = pg.issueToken('alice');
    const client = await WsClient.connect(pg.webSocketUrl, token);
    let conversationId: string | undefined;
    const run = async (s: FakeScript) => {
      script = s;
      const requestId = newRequestId();
      ours.length = 0;
      const t0 = performance.now();
      client.send({ action: 'sendMessage', v: 1, requestId, conversationId, content: [{ text: 'benchmark' }] });
      const last = await client.until((f) => f.requestId === requestId && (f.type === 'end' || f.type === 'error'), 120_000);
      if (last.type === 'error') throw new Error(`benchmark answer failed: ${last.message}`);
      conversationId = last.conversationId;
      const frames = client.of(requestId);
      const first = client.times[client.frames.findIndex((f) => f.requestId === requestId && f.type === 'text')];
      const end = client.times[client.frames.indexOf(last)];
      await pg.idle();
      const modelAt = modelStarts.find((t) => t >= t0)!;
      trace('ours', t0, modelAt, ours);
      return { ttft: first - t0, beforeModel: modelAt - t0, firstAt: first, end, frames, calls: sequentialCalls(ours, t0, modelAt) };
    };
    const runBaseline = async (s: FakeScript) => {
      script = s;
      base.length = 0;
      const t0 = performance.now();
      const r = await sendBaselineMessage(baseline.url, token, 'bench-conversation', 'benchmark');
      if (r.text !== s.steps.map((step) => (step.type === 'text' ? step.text : '')).join('')) throw new Error(`baseline answer incomplete: ${r.text}`);
      await baseline.idle();
      const modelAt = modelStarts.find((t) => t >= t0)!;
      trace('baseline', t0, modelAt, base);
      return { ttft: r.firstTokenAt - t0, beforeModel: modelAt - t0, calls: sequentialCalls(base, t0, modelAt) };
    };
    const words = (n: number, delayMs: number, firstDelayMs = delayMs) => Array.from({ length: n }, (_, i) => ({
      type: 'text' as const, text: `w${i} `, delayMs: i === 0 ? firstDelayMs : delayMs,
    }));

    // Added time to first token, ours and the baseline's alternating (which goes first alternates too): follow-up
    // messages of one conversation each; the model waits MODEL_TTFT_MS before its first token.
    const ttft = { ours: [] as number[], base: [] as number[] };
    const chain = { ours: [] as number[], base: [] as number[] };
    const beforeModel = { ours: [] as number[], base: [] as number[] };
    let oursChain: WireCall[] = [];
    let baseChain: WireCall[] = [];
    for (let i = 0; i < RUNS; i++) {
      const pair = i % 2 === 0 ? [run, runBaseline] as const : [runBaseline, run] as const;
      for (const f of pair) {
        const r = await f({ steps: words(3, 0, MODEL_TTFT_MS) });
        if (i < WARMUP) continue;
        if (f === run) {
          ttft.ours.push(r.ttft - MODEL_TTFT_MS);
          chain.ours.push(r.calls.length);
          beforeModel.ours.push(r.beforeModel);
          oursChain = r.calls;
        } else {
          ttft.base.push(r.ttft - MODEL_TTFT_MS);
          chain.base.push(r.calls.length);
          beforeModel.base.push(r.beforeModel);
          baseChain = r.calls;
        }
      }
    }
    if (process.env.BENCH_VERBOSE) {
      const show = (c: WireCall[]) => c.map((x) => `${x.service}:${x.operation}`).join(' -> ');
      console.log(`ours, sequential calls before ConverseStream: ${show(oursChain)}`);
      console.log(`baseline, sequential calls before ConverseStream: ${show(baseChain)}`);
      console.log(`median ms from send to ConverseStream: ours ${median(beforeModel.ours)}, baseline ${median(beforeModel.base)}`);
    }

    conversationId = undefined;
    const paced = await run({ steps: words(1000, 10) });
    const frames = paced.frames.filter((f) => f.type === 'text').length;

    const fast = await run({ steps: words(5000, 0) });
    const seconds = (fast.end - fast.firstAt) / 1000;

    client.close();
    const round = (n: number) => Math.round(n * 10) / 10;
    return {
      'stream.addedTtftMs': round(median(ttft.ours)),
      'stream.baseline.addedTtftMs': round(median(ttft.base)),
      'stream.criticalPathCalls': median(chain.ours),
      'stream.baseline.criticalPathCalls': median(chain.base),
      'stream.framesPer1000Tokens': frames,
      'stream.tokensPerSecond': Math.round(5000 / seconds),
    };
  } finally {
    for (const p of proxies.reverse()) await p.stop();
    await pg.stop();
  }
}

if (require.main === module) {
  streamFigures().then((r) => console.table(r), (err) => {
    console.error(err);
    process.exit(1);
  });
}
