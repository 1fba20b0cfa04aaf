import { documentNameProblem } from './attachment-files';
import { BOT_ID_PATTERN } from './bot-keys';
import { ULID_PATTERN } from './ids';
import {
  DOCUMENT_NAME_PATTERN, MAX_DOCUMENT_NAME_LENGTH, MAX_DOCUMENTS_PER_MESSAGE, MAX_FRAME_BYTES, MAX_IMAGES_PER_MESSAGE,
  MAX_INLINE_TEXT_BYTES, utf8Bytes,
} from './limits';
import { Schema, validate } from './schema';

/** WebSocket protocol v1: see docs/architecture.md. */
export const PROTOCOL_VERSION = 1;
export const SUBPROTOCOL = 'bedrock-chat.v1';
export { MAX_FRAME_BYTES, MAX_INLINE_TEXT_BYTES } from './limits';
/**
 * @deprecated the inline text limit counts UTF-8 bytes: use MAX_INLINE_TEXT_BYTES (20,000 characters of Japanese are
 * about 60 KB, far over a 32 KB frame).
 */
export const MAX_INLINE_TEXT = MAX_INLINE_TEXT_BYTES;

export const IMAGE_FORMATS = ['png', 'jpeg', 'gif', 'webp'] as const;
export const DOCUMENT_FORMATS = ['pdf', 'csv', 'doc', 'docx', 'xls', 'xlsx', 'html', 'txt', 'md'] as const;

/**
 * The schemas of the client frames, built at the first parse: a bundle that never parses client frames (the chat
 * worker) leaves them out (esbuild keeps top-level object literals that read other modules' constants).
 */
function buildSchemas(): Record<string, Schema> {
  const requestId: Schema = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' };
  const id: Schema = { type: 'string', pattern: ULID_PATTERN };
  /** Keys of objects uploaded through presigned URLs: `uploads/<userId>/<ulid>/<file name>`. */
  const uploadKey: Schema = { type: 'string', minLength: 1, maxLength: 512, pattern: '^uploads/[A-Za-z0-9-]+/[0-9A-HJKMNP-TV-Z]{26}/[^/]+$' };
  const model: Schema = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:/-]+$' };

  const contentBlock: Schema = {
    type: 'object',
    additionalProperties: false,
    description: 'Exactly one of text, image or document.',
    properties: {
      // Bytes are checked in contentProblem (JSON Schema counts characters); a character is at least one byte.
      text: { type: 'string', minLength: 1, maxLength: MAX_INLINE_TEXT_BYTES, description: `At most ${MAX_INLINE_TEXT_BYTES} bytes of UTF-8; longer text goes as a txt document.` },
      image: {
        type: 'object',
        additionalProperties: false,
        required: ['format', 'key'],
        properties: { format: { enum: IMAGE_FORMATS }, key: uploadKey },
      },
      document: {
        type: 'object',
        additionalProperties: false,
        required: ['format', 'name', 'key'],
        properties: {
          format: { enum: DOCUMENT_FORMATS },
          // DocumentBlock.name: letters, digits, single whitespace, hyphens, parentheses and square brackets (limits.ts).
          name: {
            type: 'string',
            minLength: 1,
            maxLength: MAX_DOCUMENT_NAME_LENGTH,
            pattern: DOCUMENT_NAME_PATTERN,
            description: 'Letters A-Z, digits, hyphens, parentheses and square brackets, words separated by single spaces.',
          },
          key: uploadKey,
        },
      },
    },
  };

  const SEND_MESSAGE_SCHEMA: Schema = {
    type: 'object',
    additionalProperties: false,
    required: ['action', 'v', 'requestId', 'content'],
    properties: {
      action: { const: 'sendMessage' },
      v: { const: PROTOCOL_VERSION },
      requestId,
      conversationId: id,
      parentMessageId: { ...id, description: 'The message this one answers; default: the conversation\'s last message.' },
      editOf: { ...id, description: 'A user message this one replaces: the new message becomes its sibling (a new branch).' },
      model,
      reasoning: { type: 'boolean' },
      // A bot (issue 11): a ULID, or the id of a bot declared in code. A new conversation stores it; a later turn must
      // name the conversation's bot or none.
      botId: { type: 'string', maxLength: 64, pattern: BOT_ID_PATTERN, description: 'The bot to chat with (a new conversation), or the conversation\'s bot.' },
      // Text, and up to 20 images and 5 documents (Bedrock's per-message limits, limits.ts).
      content: { type: 'array', minItems: 1, maxItems: MAX_IMAGES_PER_MESSAGE + MAX_DOCUMENTS_PER_MESSAGE + 1, items: contentBlock },
    },
  };

  const REGENERATE_SCHEMA: Schema = {
    type: 'object',
    additionalProperties: false,
    required: ['action', 'v', 'requestId', 'conversationId', 'messageId'],
    properties: {
      action: { const: 'regenerate' },
      v: { const: PROTOCOL_VERSION },
      requestId,
      conversationId: id,
      messageId: { ...id, description: 'The user message to answer again; the new answer is a sibling of the old ones.' },
      model,
      reasoning: { type: 'boolean' },
    },
  };

  const CONTINUE_SCHEMA: Schema = {
    type: 'object',
    additionalProperties: false,
    required: ['action', 'v', 'requestId', 'conversationId', 'messageId'],
    properties: {
      action: { const: 'continue' },
      v: { const: PROTOCOL_VERSION },
      requestId,
      conversationId: id,
      messageId: { ...id, description: 'The assistant message cut at max tokens, to extend.' },
    },
  };

  const STOP_SCHEMA: Schema = {
    type: 'object',
    additionalProperties: false,
    required: ['action', 'v', 'requestId'],
    properties: { action: { const: 'stop' }, v: { const: PROTOCOL_VERSION }, requestId },
  };

  const RESUME_SCHEMA: Schema = {
    type: 'object',
    additionalProperties: false,
    required: ['action', 'v', 'requestId'],
    properties: {
      action: { const: 'resume' },
      v: { const: PROTOCOL_VERSION },
      requestId: { ...requestId, description: 'The request whose answer this connection takes over (after a lost connection).' },
    },
  };

  const PING_SCHEMA: Schema = {
    type: 'object',
    additionalProperties: false,
    required: ['action'],
    properties: { action: { const: 'ping' }, v: { const: PROTOCOL_VERSION } },
  };

  return {
    sendMessage: SEND_MESSAGE_SCHEMA,
    regenerate: REGENERATE_SCHEMA,
    continue: CONTINUE_SCHEMA,
    stop: STOP_SCHEMA,
    resume: RESUME_SCHEMA,
    ping: PING_SCHEMA,
  };
}

let schemas: Record<string, Schema> | undefined;

export const ACTIONS = ['sendMessage', 'regenerate', 'continue', 'stop', 'resume', 'ping'];

export type ImageFormat = typeof IMAGE_FORMATS[number];
export type DocumentFormat = typeof DOCUMENT_FORMATS[number];

/** A content block as the client sends it and as it is stored: text inline, files by key in the large-message bucket. */
export type ContentBlock =
  | { readonly text: string }
  | { readonly image: { readonly format: ImageFormat; readonly key: string } }
  | { readonly document: { readonly format: DocumentFormat; readonly name: string; readonly key: string } };

/** @deprecated use ContentBlock */
export type TextBlock = { readonly text: string };

export interface SendMessageFrame {
  readonly action: 'sendMessage';
  readonly v: 1;
  readonly requestId: string;
  readonly conversationId?: string;
  readonly parentMessageId?: string;
  readonly editOf?: string;
  readonly model?: string;
  readonly reasoning?: boolean;
  readonly botId?: string;
  readonly content: ContentBlock[];
}

export interface RegenerateFrame {
  readonly action: 'regenerate';
  readonly v: 1;
  readonly requestId: string;
  readonly conversationId: string;
  readonly messageId: string;
  readonly model?: string;
  readonly reasoning?: boolean;
}

export interface ContinueFrame {
  readonly action: 'continue';
  readonly v: 1;
  readonly requestId: string;
  readonly conversationId: string;
  readonly messageId: string;
}

export interface StopFrame {
  readonly action: 'stop';
  readonly v: 1;
  readonly requestId: string;
}

export interface ResumeFrame {
  readonly action: 'resume';
  readonly v: 1;
  readonly requestId: string;
}

export type ClientFrame = SendMessageFrame | RegenerateFrame | ContinueFrame | StopFrame | ResumeFrame | { readonly action: 'ping'; readonly v?: 1 };

export type ParseResult =
  | { readonly ok: true; readonly frame: ClientFrame }
  | { readonly ok: false; readonly message: string; readonly requestId?: string };

/** Parses and validates one client frame. Never throws. */
export function parseClientFrame(body: string | undefined | null): ParseResult {
  if (!body) return { ok: false, message: 'The message is empty.' };
  const bytes = utf8Bytes(body);
  if (bytes > MAX_FRAME_BYTES) {
    return { ok: false, message: `The message is ${bytes} bytes of UTF-8; a WebSocket frame holds at most ${MAX_FRAME_BYTES} bytes. Send longer text as a txt document through an upload.` };
  }
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, message: 'The message is not valid JSON.' };
  }
  const rid = typeof value === 'object' && value !== null && typeof (value as { requestId?: unknown }).requestId === 'string'
    ? ((value as { requestId: string }).requestId.slice(0, 64)) : undefined;
  const action = typeof value === 'object' && value !== null ? (value as { action?: unknown }).action : undefined;
  const all = (schemas ??= buildSchemas());
  const schema = typeof action === 'string' && Object.prototype.hasOwnProperty.call(all, action) ? all[action] : undefined;
  if (!schema) {
    const expected = ACTIONS.map((a) => `"${a}"`).join(', ');
    return { ok: false, requestId: rid, message: `Unknown action ${JSON.stringify(typeof action === 'string' ? action.slice(0, 40) : action ?? null)}; expected one of ${expected}.` };
  }
  const problem = documentNamesProblem(value) ?? validate(schema, value) ?? contentProblem(value);
  if (problem) return { ok: false, requestId: rid && /^[A-Za-z0-9_-]+$/.test(rid) ? rid : undefined, message: capitalize(problem) + '.' };
  return { ok: true, frame: value as ClientFrame };
}

/** A document name Bedrock would refuse, said in words (the schema's pattern alone would say "invalid format"). */
function documentNamesProblem(value: unknown): string | undefined {
  const content = (value as { content?: unknown } | null)?.content;
  if (!Array.isArray(content)) return undefined;
  for (let i = 0; i < content.length; i++) {
    const name = (content[i] as { document?: { name?: unknown } } | null)?.document?.name;
    const problem = typeof name === 'string' ? documentNameProblem(name) : undefined;
    if (problem) return `content[${i}].document.name: ${problem}`;
  }
  return undefined;
}

/** Each content block carries exactly one kind. */
function contentProblem(value: unknown): string | undefined {
  const content = (value as { content?: unknown[] }).content;
  if (!Array.isArray(content)) return undefined;
  const i = content.findIndex((b) => Object.keys(b as object).length !== 1);
  if (i >= 0) return `content[${i}] must have exactly one of text, image or document`;
  for (let j = 0; j < content.length; j++) {
    const text = (content[j] as { text?: unknown }).text;
    const bytes = typeof text === 'string' ? utf8Bytes(text) : 0;
    if (bytes > MAX_INLINE_TEXT_BYTES) {
      return `content[${j}].text is ${bytes} bytes of UTF-8; at most ${MAX_INLINE_TEXT_BYTES} fit in one message: send longer text as a txt document through an upload`;
    }
  }
  return undefined;
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** An `error` frame with code `QUOTA` (over a usage limit, see docs/architecture.md "Usage limits") carries it as `quota`. */
export interface QuotaDetails {
  /** `tokens`, `cost` (in USD), or `concurrent` (answers in flight). */
  readonly kind: 'tokens' | 'cost' | 'concurrent';
  /** The window of a token or cost limit. */
  readonly window?: 'hour' | 'day' | 'month';
  /** The limit: tokens, USD, or answers at a time. */
  readonly limit: number;
  /** Used in the window so far (tokens, USD), or answers in flight. */
  readonly used: number;
  /** When the window starts again (ISO 8601); absent for `concurrent` (when an answer ends). */
  readonly resetsAt?: string;
}

/** `GET /usage` (core/usage-routes.ts): used and remaining per window; the widget's settings show it. */
export interface UsageWindowReport {
  readonly window: 'hour' | 'day' | 'month';
  readonly resetsAt: string;
  readonly tokens: { readonly used: number; readonly limit?: number; readonly remaining?: number };
  readonly costUsd: { readonly used: number; readonly limit?: number; readonly remaining?: number };
}

export interface UsageReport {
  readonly windows: readonly UsageWindowReport[];
  readonly concurrent: { readonly active: number; readonly limit: number };
}

export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
}

/**
 * A source an answer may cite as `[^<sourceId>]` (a passage of one of the bot's documents, or of a page): sent as a
 * `citation` frame before the answer's text (or after the search that found it, for models that call the knowledge
 * tool), stored with the answer (`citations`, at most 20) and returned by `GET /conversations/{id}`
 * (docs/knowledge-contract.md, "WebSocket" and "Retrieval (chat)"). Never sent to the model on later turns.
 */
export interface Citation {
  readonly sourceId: string;
  /** The document's name (metadata `documentName`), or the page's host. */
  readonly title: string;
  /** Opens the document through `GET /knowledge/bots/{botId}/documents/{documentId}/source` (documents of the bot). */
  readonly documentId?: string;
  /** A crawled page or an existing knowledge base's source (`https:` only), instead of `documentId`. */
  readonly url?: string;
  readonly page?: number;
  /** The start of the passage, at most 500 characters. */
  readonly snippet: string;
}

interface Ids { requestId: string; conversationId: string; messageId: string }
/** `snapshot: true` marks the frames replaying an answer so far to a connection that resumed it. */
interface Part extends Ids { snapshot?: true }

export type ServerFrame =
  | { type: 'ack' } & Ids
  /** `resumed: true`: the answer moved to this connection; what the client shows of it is replaced by the frames that follow. */
  | { type: 'start'; parentMessageId: string; model: string; continued?: boolean; resumed?: true } & Ids
  | { type: 'text'; delta: string } & Part
  | { type: 'reasoning'; delta: string } & Part
  | { type: 'toolUse'; toolUseId: string; name: string; input: unknown } & Part
  | { type: 'toolResult'; toolUseId: string; status: 'success' | 'error'; content: string } & Part
  /**
   * A retrieved source of the answer. `documentId` (with the bot the conversation is with) opens the document through
   * `GET /knowledge/bots/{botId}/documents/{documentId}/source`; `page` is the source's page where Bedrock gives one.
   */
  | { type: 'citation'; sourceId: string; title: string; url?: string; snippet?: string; documentId?: string; page?: number } & Part
  | { type: 'end'; stopReason: string; usage: Usage; price: number; contextTrimmed?: number } & Ids
  | { type: 'title'; conversationId: string; title: string }
  /** The reply to `resume`: `done` when the answer was already finished and stored (the client reloads it). */
  | { type: 'resumed'; requestId: string; conversationId: string; done: boolean }
  | { type: 'error'; requestId?: string; conversationId?: string; messageId?: string; code: string; message: string; quota?: QuotaDetails }
  | { type: 'pong' };

export function encodeFrame(frame: ServerFrame): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, ...frame });
}

/** Picks the bearer token out of a `Sec-WebSocket-Protocol` header value (`bedrock-chat.v1, <token>`). */
export function tokenFromSubprotocols(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const parts = header.split(',').map((p) => p.trim()).filter(Boolean);
  if (!parts.includes(SUBPROTOCOL)) return undefined;
  return parts.find((p) => p !== SUBPROTOCOL);
}

/** The text of a message's text blocks, joined by newlines (files contribute nothing). */
export function textOf(content: readonly ContentBlock[]): string {
  return content.map((b) => ('text' in b ? b.text : '')).filter(Boolean).join('\n');
}
