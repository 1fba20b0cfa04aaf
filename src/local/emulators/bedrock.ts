// src/local runs only in development (playground, tests): its imports are devDependencies.
import { randomUUID } from 'node:crypto';
import * as http2 from 'node:http2';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { listenLoopback, readBody } from './util';

/** One request received by the fake, as the SDK sent it. */
export interface FakeRequest {
  /** The model id from the URL path, decoded (e.g. `us.anthropic.claude-sonnet-4-20250514-v1:0`). */
  readonly modelId: string;
  readonly operation: 'Converse' | 'ConverseStream';
  /** The parsed JSON Converse request: `messages`, `system`, `inferenceConfig`, `toolConfig`, ... */
  readonly body: ConverseRequestBody;
}

export interface ConverseRequestBody {
  messages?: Array<{ role: string; content: Array<Record<string, unknown>> }>;
  system?: Array<Record<string, unknown>>;
  inferenceConfig?: Record<string, unknown>;
  [key: string]: unknown;
}

export type FakeStep =
  | { type: 'text'; text: string; delayMs?: number }
  | { type: 'reasoning'; text: string; signature?: string; delayMs?: number }
  | { type: 'toolUse'; toolUseId: string; name: string; input: unknown; delayMs?: number }
  | { type: 'exception'; name: string /* e.g. ModelStreamErrorException, ThrottlingException */; message: string; delayMs?: number }
  /** Holds the answer here (after `delayMs`) until `until` settles: a test decides when the model goes on. Sends nothing. */
  | { type: 'pause'; until: Promise<unknown>; delayMs?: number };

export type FakeStopReason = 'end_turn' | 'max_tokens' | 'tool_use' | 'stop_sequence';

export interface FakeUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadInputTokens?: number;
  cacheWriteInputTokens?: number;
}

export interface FakeScript {
  /** An error answered before the stream (e.g. 429 ThrottlingException, 400 ValidationException). */
  error?: { status: number; name: string; message: string };
  /** Delay before the first event (ConverseStream) or before the answer (Converse). */
  firstByteDelayMs?: number;
  steps: FakeStep[];
  /** Default: `tool_use` when a toolUse step is present, else `end_turn`. */
  stopReason?: FakeStopReason;
  /** Default: input = words in the request messages, output = number of text steps. */
  usage?: FakeUsage;
}

export interface StartBedrockFakeOptions {
  /** Scripts the answer to each request. */
  readonly respond: (req: FakeRequest) => FakeScript | Promise<FakeScript>;
}

export interface BedrockFake {
  /** `http://127.0.0.1:<port>` (h2c) — use as `AWS_ENDPOINT_URL_BEDROCK_RUNTIME` or the client's `endpoint`. */
  readonly endpoint: string;
  /** Every request received, in order. */
  readonly requests: FakeRequest[];
  stop(): Promise<void>;
}

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** HTTP status of Bedrock Runtime errors, for exceptions answered outside a stream. */
const ERROR_STATUS: Record<string, number> = {
  AccessDeniedException: 403,
  ResourceNotFoundException: 404,
  ThrottlingException: 429,
  ValidationException: 400,
  ModelErrorException: 424,
  ModelStreamErrorException: 424,
  ModelNotReadyException: 429,
  ModelTimeoutException: 408,
  ServiceUnavailableException: 503,
  InternalServerException: 500,
  ServiceQuotaExceededException: 400,
};

const sleep = (ms: number | undefined) => (ms && ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());

/** Counts whitespace-separated words. */
export function countWords(text: string): number {
  const trimmed = text.trim();
  return trimmed ? trimmed.split(/\s+/).length : 0;
}

/** Words across the text blocks of all request messages (the fake's default input token count). */
export function countRequestWords(body: ConverseRequestBody): number {
  let n = 0;
  for (const m of body.messages ?? []) {
    for (const block of m.content ?? []) {
      if (typeof block.text === 'string') n += countWords(block.text);
    }
  }
  return n;
}

/** Encodes one event-stream frame with a JSON payload. */
function frame(messageType: 'event' | 'exception', type: string, payload: unknown): Uint8Array {
  const typeHeader = messageType === 'event' ? ':event-type' : ':exception-type';
  return codec.encode({
    headers: {
      ':message-type': { type: 'string', value: messageType },
      [typeHeader]: { type: 'string', value: type },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

/** `ThrottlingException` → `throttlingException`: the union member name used as `:exception-type`. */
function exceptionMember(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

type BlockKind = 'text' | 'reasoning' | 'toolUse';

/** Assigns content block indexes: consecutive text (or reasoning) steps share one block, each toolUse is its own. */
function blockIndexes(steps: FakeStep[]): number[] {
  const out: number[] = [];
  let index = -1;
  let previous: BlockKind | undefined;
  for (const step of steps) {
    if (step.type === 'exception' || step.type === 'pause') {
      out.push(index);
      continue;
    }
    if (step.type === 'toolUse' || step.type !== previous) index++;
    previous = step.type;
    out.push(index);
  }
  return out;
}

function resolveUsage(script: FakeScript, body: ConverseRequestBody) {
  const usage = script.usage ?? {
    inputTokens: countRequestWords(body),
    outputTokens: script.steps.filter((s) => s.type === 'text').length,
  };
  return { ...usage, totalTokens: usage.inputTokens + usage.outputTokens };
}

function stopReasonOf(script: FakeScript): FakeStopReason {
  return script.stopReason ?? (script.steps.some((s) => s.type === 'toolUse') ? 'tool_use' : 'end_turn');
}

function isOpen(stream: http2.ServerHttp2Stream): boolean {
  return !stream.destroyed && !stream.closed && stream.writable;
}

function writeAsync(stream: http2.ServerHttp2Stream, data: Uint8Array): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!isOpen(stream)) {
      resolve();
      return;
    }
    stream.write(data, () => resolve());
  });
}

function sendJson(stream: http2.ServerHttp2Stream, status: number, payload: unknown, errorType?: string): void {
  if (!isOpen(stream)) return;
  const headers: http2.OutgoingHttpHeaders = {
    ':status': status,
    'content-type': 'application/json',
    'x-amzn-requestid': randomUUID(),
  };
  if (errorType) headers['x-amzn-errortype'] = errorType;
  stream.respond(headers);
  stream.end(JSON.stringify(payload));
}

async function answerStream(stream: http2.ServerHttp2Stream, script: FakeScript, body: ConverseRequestBody): Promise<void> {
  const started = Date.now();
  stream.respond({
    ':status': 200,
    'content-type': 'application/vnd.amazon.eventstream',
    'x-amzn-requestid': randomUUID(),
  });
  await sleep(script.firstByteDelayMs);
  await writeAsync(stream, frame('event', 'messageStart', { role: 'assistant' }));
  const indexes = blockIndexes(script.steps);
  let open: number | undefined; // index of the open content block
  const closeBlock = async () => {
    if (open !== undefined) await writeAsync(stream, frame('event', 'contentBlockStop', { contentBlockIndex: open }));
    open = undefined;
  };
  for (let i = 0; i < script.steps.length; i++) {
    const step = script.steps[i];
    if (step.type === 'pause') {
      await sleep(step.delayMs);
      await step.until.catch(() => undefined);
      continue;
    }
    await sleep(step.delayMs);
    if (!isOpen(stream)) return; // the client went away
    const contentBlockIndex = indexes[i];
    if (step.type === 'exception') {
      await writeAsync(stream, frame('exception', exceptionMember(step.name), { message: step.message }));
      stream.end();
      return;
    }
    if (open !== contentBlockIndex) {
      await closeBlock();
      open = contentBlockIndex;
      if (step.type === 'toolUse') {
        await writeAsync(stream, frame('event', 'contentBlockStart', {
          contentBlockIndex,
          start: { toolUse: { toolUseId: step.toolUseId, name: step.name } },
        }));
      }
    }
    if (step.type === 'text') {
      await writeAsync(stream, frame('event', 'contentBlockDelta', { contentBlockIndex, delta: { text: step.text } }));
    } else if (step.type === 'reasoning') {
      await writeAsync(stream, frame('event', 'contentBlockDelta', { contentBlockIndex, delta: { reasoningContent: { text: step.text } } }));
      if (step.signature !== undefined) {
        await writeAsync(stream, frame('event', 'contentBlockDelta', {
          contentBlockIndex,
          delta: { reasoningContent: { signature: step.signature } },
        }));
      }
    } else {
      await writeAsync(stream, frame('event', 'contentBlockDelta', {
        contentBlockIndex,
        delta: { toolUse: { input: JSON.stringify(step.input ?? {}) } },
      }));
    }
  }
  await closeBlock();
  await writeAsync(stream, frame('event', 'messageStop', { stopReason: stopReasonOf(script) }));
  await writeAsync(stream, frame('event', 'metadata', {
    usage: resolveUsage(script, body),
    metrics: { latencyMs: Date.now() - started },
  }));
  if (isOpen(stream)) stream.end();
}

async function answerConverse(stream: http2.ServerHttp2Stream, script: FakeScript, body: ConverseRequestBody): Promise<void> {
  const started = Date.now();
  await sleep(script.firstByteDelayMs);
  const indexes = blockIndexes(script.steps);
  const content: Array<Record<string, unknown>> = [];
  for (let i = 0; i < script.steps.length; i++) {
    const step = script.steps[i];
    if (step.type === 'pause') {
      await sleep(step.delayMs);
      await step.until.catch(() => undefined);
      continue;
    }
    await sleep(step.delayMs);
    if (step.type === 'exception') {
      sendJson(stream, ERROR_STATUS[step.name] ?? 500, { message: step.message }, step.name);
      return;
    }
    const existing = content[indexes[i]];
    if (step.type === 'text') {
      if (existing) (existing as { text: string }).text += step.text;
      else content[indexes[i]] = { text: step.text };
    } else if (step.type === 'reasoning') {
      const reasoningText = (existing?.reasoningContent as { reasoningText: { text: string; signature?: string } } | undefined)?.reasoningText;
      if (reasoningText) {
        reasoningText.text += step.text;
        if (step.signature !== undefined) reasoningText.signature = step.signature;
      } else {
        content[indexes[i]] = { reasoningContent: { reasoningText: { text: step.text, signature: step.signature } } };
      }
    } else {
      content[indexes[i]] = { toolUse: { toolUseId: step.toolUseId, name: step.name, input: step.input ?? {} } };
    }
  }
  sendJson(stream, 200, {
    output: { message: { role: 'assistant', content } },
    stopReason: stopReasonOf(script),
    usage: resolveUsage(script, body),
    metrics: { latencyMs: Date.now() - started },
  });
}

const ROUTE = /^\/model\/([^/]+)\/(converse-stream|converse)$/;

/**
 * Starts a fake Bedrock Runtime (HTTP/2 cleartext, as the SDK's `NodeHttp2Handler` speaks) answering
 * `ConverseStream` (event stream) and `Converse` (JSON) as scripted by `respond`.
 */
export async function startBedrockFake(options: StartBedrockFakeOptions): Promise<BedrockFake> {
  const requests: FakeRequest[] = [];
  const sessions = new Set<http2.ServerHttp2Session>();
  const server = http2.createServer();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('close', () => sessions.delete(session));
  });

  const handle = async (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
    const path = (headers[':path'] ?? '').split('?')[0];
    const match = ROUTE.exec(path);
    const raw = await readBody(stream);
    if (headers[':method'] !== 'POST' || !match) {
      sendJson(stream, 404, { message: `no route for ${headers[':method']} ${path}` }, 'UnknownOperationException');
      return;
    }
    let body: ConverseRequestBody;
    try {
      body = raw.length ? JSON.parse(raw.toString('utf8')) : {};
    } catch {
      sendJson(stream, 400, { message: 'request body is not JSON' }, 'ValidationException');
      return;
    }
    const request: FakeRequest = {
      modelId: decodeURIComponent(match[1]),
      operation: match[2] === 'converse-stream' ? 'ConverseStream' : 'Converse',
      body,
    };
    requests.push(request);
    const script = await options.respond(request);
    if (script.error) {
      await sleep(script.firstByteDelayMs);
      sendJson(stream, script.error.status, { message: script.error.message }, script.error.name);
      return;
    }
    if (request.operation === 'ConverseStream') await answerStream(stream, script, body);
    else await answerConverse(stream, script, body);
  };

  server.on('stream', (stream, headers) => {
    stream.on('error', () => { /* client reset: nothing to do */ });
    handle(stream, headers).catch((err: unknown) => {
      process.stderr.write(`bedrock fake: ${err instanceof Error ? err.stack : String(err)}\n`);
      if (!stream.headersSent) sendJson(stream, 500, { message: String(err) }, 'InternalServerException');
      else if (!stream.destroyed) stream.destroy();
    });
  });

  const port = await listenLoopback(server);
  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    stop: () => {
      stopped ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
      });
      return stopped;
    },
  };
}
