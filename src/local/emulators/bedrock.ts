// src/local runs only in development (playground, tests): its imports are devDependencies.
import { randomUUID } from 'node:crypto';
import * as http2 from 'node:http2';
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import type { GuardrailPolicy } from './bedrock-guardrails';
import { listenLoopback, readBody } from './util';
import { imageSize } from '../../lambdas/core/attachment-files';

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

export type FakeStopReason = 'end_turn' | 'max_tokens' | 'tool_use' | 'stop_sequence' | 'guardrail_intervened';

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
  /**
   * Refuse requests that break Bedrock's documented rules (prefill per model, attachment counts and sizes, document
   * names, thinking budget: see `ruleBroken`) with a ValidationException, as Bedrock does. @default true
   */
  readonly enforceRules?: boolean;
  /**
   * The guardrails that exist (the control plane stand-in's registry, ./bedrock-guardrails.ts). A request whose
   * `guardrailConfig` names a guardrail or version that does not exist is refused before any answer with
   * ResourceNotFoundException (404), an error ConverseStream and Converse document
   * (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html#API_runtime_ConverseStream_Errors).
   * Without a registry, guardrails are not checked.
   */
  readonly guardrails?: {
    exists(identifier: string, version: string): boolean;
    /** The guardrail version's contextual grounding filters and blocked output message (see `groundingVerdict`). */
    policy?(identifier: string, version: string): GuardrailPolicy | undefined;
  };
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


// ------------------------------------------------------------------------------------------------ request rules
// The fake refuses what Bedrock documents it refuses, for the rules this system relies on, with Bedrock's error shape:
// HTTP 400, `x-amzn-errortype: ValidationException`, body `{"message": ...}` (the SDK throws a ValidationException
// with that message and `$metadata.httpStatusCode` 400, before any stream event). Its numbers are its own (not imported
// from the code under test), each with the page that documents it. The image header is read with the same helper
// as the worker's (src/lambdas/core/limits.ts); its tests pin it to real PNG, JPEG, GIF and WebP headers.

/**
 * Model ids (without an inference-profile prefix) that reject a conversation ending with an assistant turn: "This
 * model does not support assistant message prefill. The conversation must end with a user message." Anthropic:
 * "Prefilling assistant messages returns a 400 error on Claude 4.6 models"
 * (https://platform.claude.com/docs/en/about-claude/models/migration-guide); Opus 4.7 likewise
 * (https://github.com/ericc-ch/copilot-api/pull/261 lists claude-opus-4-6/4-7 and claude-sonnet-4-6).
 */
export const NO_PREFILL_MODELS: readonly RegExp[] = [
  /^anthropic\.claude-opus-4-6/,
  /^anthropic\.claude-sonnet-4-6/,
  /^anthropic\.claude-opus-4-7/,
];
export const PREFILL_REFUSED = 'This model does not support assistant message prefill. The conversation must end with a user message.';

/**
 * Models that accept only adaptive thinking: "Claude 4.7 and later models do not support it [thinking.type enabled
 * with budget_tokens] and reject requests that use it, returning a 400 error."
 * https://platform.claude.com/docs/en/build-with-claude/extended-thinking
 */
export const ADAPTIVE_THINKING_ONLY_MODELS: readonly RegExp[] = [/^anthropic\.claude-opus-4-7/];

/** https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Message.html (MB read as 10^6 bytes). */
const MESSAGE_RULES = { images: 20, documents: 5, imageBytes: 3_750_000, imagePixels: 8000, documentBytes: 4_500_000 };
/** https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_DocumentBlock.html */
const DOCUMENT_NAME = /^[A-Za-z0-9\s()[\]-]{1,200}$/;

const PROFILE_PREFIX = /^(global|us|us-gov|eu|apac|jp|au|ca)\./;

/** The base model id of a model or inference-profile id, or of a profile ARN's last part. */
export function baseModelId(modelId: string): string {
  return (modelId.split('/').pop() ?? modelId).replace(PROFILE_PREFIX, '');
}

type Block = Record<string, unknown>;
const bytesOf = (source: unknown): Buffer => Buffer.from(String((source as { bytes?: unknown } | undefined)?.bytes ?? ''), 'base64');

/** The first documented rule the request breaks, as Bedrock's ValidationException message, or undefined. */
export function ruleBroken(modelId: string, body: ConverseRequestBody): string | undefined {
  const base = baseModelId(modelId);
  const messages = body.messages ?? [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i];
    const content: Block[] = m.content ?? [];
    const images = content.filter((b) => b.image);
    const documents = content.filter((b) => b.document);
    const where = `messages.${i}`;
    // https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Message.html: "You can only include images
    // and documents if the role is user"; "If you include a ContentBlock with a document field in the array, you must
    // also include a ContentBlock with a text field."
    if (m.role !== 'user' && (images.length || documents.length)) return `${where}: images and documents are allowed only in user messages.`;
    if (images.length > MESSAGE_RULES.images) return `${where}: too many images (${images.length}); a message can include up to ${MESSAGE_RULES.images} images.`;
    if (documents.length > MESSAGE_RULES.documents) return `${where}: too many documents (${documents.length}); a message can include up to ${MESSAGE_RULES.documents} documents.`;
    if (documents.length && !content.some((b) => typeof b.text === 'string')) return `${where}: a message with a document must also include a text block.`;
    for (const b of images) {
      const bytes = bytesOf((b.image as Block).source);
      if (bytes.length > MESSAGE_RULES.imageBytes) return `${where}: image size ${bytes.length} bytes exceeds the maximum of 3.75 MB.`;
      const size = imageSize(bytes);
      if (size && (size.width > MESSAGE_RULES.imagePixels || size.height > MESSAGE_RULES.imagePixels)) {
        return `${where}: image dimensions ${size.width}x${size.height} exceed the maximum of ${MESSAGE_RULES.imagePixels} px per side.`;
      }
    }
    for (const b of documents) {
      const doc = b.document as Block;
      const bytes = bytesOf(doc.source);
      if (bytes.length > MESSAGE_RULES.documentBytes) return `${where}: document size ${bytes.length} bytes exceeds the maximum of 4.5 MB.`;
      const name = String(doc.name ?? '');
      if (!DOCUMENT_NAME.test(name) || /\s\s/.test(name)) {
        return `${where}: the document file name can only contain alphanumeric characters, whitespace characters (no more than one in a row), hyphens, parentheses, and square brackets.`;
      }
    }
  }
  const toolRule = toolRuleBroken(body);
  if (toolRule) return toolRule;
  const last = messages[messages.length - 1];
  if (last?.role === 'assistant' && NO_PREFILL_MODELS.some((r) => r.test(base))) return PREFILL_REFUSED;
  const thinking = (body.additionalModelRequestFields as { thinking?: { type?: string; budget_tokens?: unknown } } | undefined)?.thinking;
  if (thinking?.type === 'enabled') {
    if (ADAPTIVE_THINKING_ONLY_MODELS.some((r) => r.test(base))) return 'thinking.type.enabled is not supported for this model. Use thinking.type.adaptive instead.';
    // Anthropic's ThinkingConfigEnabled.budget_tokens: "Must be ≥1024 and less than max_tokens."
    // https://platform.claude.com/docs/en/build-with-claude/extended-thinking
    const budget = thinking.budget_tokens;
    const maxTokens = (body.inferenceConfig as { maxTokens?: unknown } | undefined)?.maxTokens;
    if (typeof budget !== 'number' || !Number.isInteger(budget) || budget < 1024) return 'thinking.budget_tokens: Input should be greater than or equal to 1024';
    if (typeof maxTokens === 'number' && budget >= maxTokens) return '`max_tokens` must be greater than `thinking.budget_tokens`.';
  }
  return undefined;
}

/**
 * The tool-use rules of a request (the Converse tool loop, https://docs.aws.amazon.com/bedrock/latest/userguide/tool-use-inference-call.html):
 * the model's toolUse blocks come back in an assistant message, each answered by a toolResult block with its
 * `toolUseId` in the user message that follows (ToolUseBlock, ToolResultBlock:
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolUseBlock.html,
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolResultBlock.html), and a request whose
 * messages hold toolUse or toolResult blocks needs a `toolConfig` (Bedrock's ValidationException "The toolConfig field
 * must be defined when using toolUse and toolResult content blocks.", as reported in
 * https://github.com/langgenius/dify/issues/17545 and https://github.com/vxcontrol/pentagi/pull/196).
 */
export function toolRuleBroken(body: ConverseRequestBody): string | undefined {
  const messages = body.messages ?? [];
  const uses = (m: { content: Array<Record<string, unknown>> } | undefined) => (m?.content ?? [])
    .map((b) => (b.toolUse as { toolUseId?: unknown } | undefined)?.toolUseId).filter((id) => id !== undefined);
  const results = (m: { content: Array<Record<string, unknown>> } | undefined) => (m?.content ?? [])
    .map((b) => (b.toolResult as { toolUseId?: unknown } | undefined)?.toolUseId).filter((id) => id !== undefined);
  const hasTools = ((body.toolConfig as { tools?: unknown[] } | undefined)?.tools ?? []).length > 0;
  for (let i = 0; i < messages.length; i++) {
    const used = uses(messages[i]);
    const answered = results(messages[i]);
    if ((used.length || answered.length) && !hasTools) return 'The toolConfig field must be defined when using toolUse and toolResult content blocks.';
    if (answered.length) {
      const asked = messages[i].role === 'user' ? uses(messages[i - 1]) : [];
      if (answered.some((id) => !asked.includes(id))) return `messages.${i}: a toolResult block must answer a toolUse block of the previous assistant message (toolUseId).`;
    }
    if (used.length && i + 1 < messages.length) {
      const next = results(messages[i + 1]);
      if (used.some((id) => !next.includes(id))) return `messages.${i + 1}: every toolUse block needs a toolResult block with its toolUseId in the next message.`;
    }
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------------ contextual grounding
// A guardrail with a contextual grounding filter checks the answer against the request's grounding source and query,
// the text of its guardContent blocks qualified `grounding_source` and `query` (several of one kind are combined), in
// the system prompt or the messages (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_GuardrailConverseTextBlock.html,
// https://docs.aws.amazon.com/bedrock/latest/userguide/guardrails-contextual-grounding-check.html). An answer scoring
// below a filter's threshold (0..0.99) is blocked: its text is replaced by the guardrail's blocked output message
// (`blockedOutputsMessaging`) and the stop reason is `guardrail_intervened`
// (MessageStopEvent: https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_MessageStopEvent.html).
//
// The scores are a LEXICAL APPROXIMATION, like the local knowledge base's retrieval (Bedrock scores with a model):
// grounding = the share of the answer's distinct words (letters or digits, 3 characters or more, or any word with a
// digit; citation markers `[^n]` removed) found among the grounding source's words; relevance = the share of the
// query's distinct words found in the answer. An answer with no such word is not blocked. The fake checks the whole
// answer before it sends any of it (what sync mode does; in async mode Bedrock may have streamed part of an ungrounded
// answer before it intervenes, which is not reproduced).

/** The distinct words of a text, as the grounding approximation counts them. */
export function groundingWords(text: string): Set<string> {
  const words = text.replace(/\[\^\d+\]/g, ' ').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  return new Set(words.filter((w) => w.length >= 3 || /\p{N}/u.test(w)));
}

function guardTexts(body: ConverseRequestBody, qualifier: string): string {
  const blocks = [...(body.system ?? []), ...(body.messages ?? []).flatMap((m) => m.content ?? [])];
  return blocks
    .map((b) => (b.guardContent as { text?: { text?: unknown; qualifiers?: unknown } } | undefined)?.text)
    .filter((t) => t && typeof t.text === 'string' && Array.isArray(t.qualifiers) && t.qualifiers.includes(qualifier))
    .map((t) => String(t!.text))
    .join('\n');
}

const share = (part: Set<string>, whole: Set<string>) => (part.size === 0 ? 1 : [...part].filter((w) => whole.has(w)).length / part.size);

/**
 * The contextual grounding check of an answer (the text of the script's text steps): the score of each filter of the
 * policy that applies (GROUNDING needs a grounding source, RELEVANCE a grounding source and a query), and whether it
 * blocks. Undefined when the request marks no grounding source or the policy has no grounding filter.
 */
export function groundingVerdict(policy: GuardrailPolicy | undefined, body: ConverseRequestBody, answer: string):
  { scores: { type: 'GROUNDING' | 'RELEVANCE'; score: number; threshold: number }[]; blocked: boolean } | undefined {
  if (!policy?.grounding.length) return undefined;
  const source = guardTexts(body, 'grounding_source');
  if (!source) return undefined;
  const query = guardTexts(body, 'query');
  const answerWords = groundingWords(answer);
  const scores = policy.grounding
    .filter((f) => f.type === 'GROUNDING' || query)
    .map((f) => ({
      ...f,
      score: f.type === 'GROUNDING' ? share(answerWords, groundingWords(source)) : (answerWords.size ? share(groundingWords(query), answerWords) : 1),
    }));
  return { scores, blocked: scores.some((s) => s.score < s.threshold) };
}

/** The script as the guardrail lets it through: the blocked output message in place of an answer that fails the check. */
function guarded(script: FakeScript, body: ConverseRequestBody, policy: GuardrailPolicy | undefined): FakeScript {
  const answer = script.steps.map((s) => (s.type === 'text' ? s.text : '')).join('');
  const verdict = groundingVerdict(policy, body, answer);
  if (!verdict?.blocked) return script;
  return {
    ...script,
    steps: [{ type: 'text', text: policy!.blockedOutputsMessaging ?? 'Sorry, the model cannot answer this question.' }],
    stopReason: 'guardrail_intervened',
    usage: resolveUsage(script, body),
  };
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
    const guardrail = body.guardrailConfig as { guardrailIdentifier?: string; guardrailVersion?: string } | undefined;
    if (guardrail && options.guardrails && !options.guardrails.exists(String(guardrail.guardrailIdentifier), String(guardrail.guardrailVersion))) {
      sendJson(stream, 404, { message: `The guardrail ${String(guardrail.guardrailIdentifier)} version ${String(guardrail.guardrailVersion)} was not found.` }, 'ResourceNotFoundException');
      return;
    }
    const broken = options.enforceRules === false ? undefined : ruleBroken(request.modelId, body);
    if (broken) {
      sendJson(stream, 400, { message: broken }, 'ValidationException');
      return;
    }
    const scripted = await options.respond(request);
    const policy = guardrail && options.guardrails?.policy?.(String(guardrail.guardrailIdentifier), String(guardrail.guardrailVersion));
    const script = scripted.error ? scripted : guarded(scripted, body, policy || undefined);
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
