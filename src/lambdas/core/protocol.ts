import { ULID_PATTERN } from './ids';
import { Schema, validate } from './schema';

/** WebSocket protocol v1: see docs/architecture.md. */
export const PROTOCOL_VERSION = 1;
export const SUBPROTOCOL = 'bedrock-chat.v1';
/** API Gateway's WebSocket frame limit. */
export const MAX_FRAME_BYTES = 32 * 1024;
/** Longest text a single sendMessage may carry inline (larger input goes through the large-message bucket). */
export const MAX_INLINE_TEXT = 24_000;

const requestId: Schema = { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' };
const id: Schema = { type: 'string', pattern: ULID_PATTERN };

export const SEND_MESSAGE_SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['action', 'v', 'requestId', 'content'],
  properties: {
    action: { const: 'sendMessage' },
    v: { const: PROTOCOL_VERSION },
    requestId,
    conversationId: id,
    parentMessageId: id,
    model: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:/-]+$' },
    content: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['text'],
        properties: { text: { type: 'string', minLength: 1, maxLength: MAX_INLINE_TEXT } },
      },
    },
  },
};

export const PING_SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  required: ['action'],
  properties: { action: { const: 'ping' }, v: { const: PROTOCOL_VERSION } },
};

export interface TextBlock {
  readonly text: string;
}

export interface SendMessageFrame {
  readonly action: 'sendMessage';
  readonly v: 1;
  readonly requestId: string;
  readonly conversationId?: string;
  readonly parentMessageId?: string;
  readonly model?: string;
  readonly content: TextBlock[];
}

export type ClientFrame = SendMessageFrame | { readonly action: 'ping'; readonly v?: 1 };

export type ParseResult =
  | { readonly ok: true; readonly frame: ClientFrame }
  | { readonly ok: false; readonly message: string; readonly requestId?: string };

/** Parses and validates one client frame. Never throws. */
export function parseClientFrame(body: string | undefined | null): ParseResult {
  if (!body) return { ok: false, message: 'The message is empty.' };
  if (Buffer.byteLength(body) > MAX_FRAME_BYTES) return { ok: false, message: 'The message is larger than 32 KB.' };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { ok: false, message: 'The message is not valid JSON.' };
  }
  const rid = typeof value === 'object' && value !== null && typeof (value as { requestId?: unknown }).requestId === 'string'
    ? ((value as { requestId: string }).requestId.slice(0, 64)) : undefined;
  const action = typeof value === 'object' && value !== null ? (value as { action?: unknown }).action : undefined;
  const schema = action === 'sendMessage' ? SEND_MESSAGE_SCHEMA : action === 'ping' ? PING_SCHEMA : undefined;
  if (!schema) {
    return { ok: false, requestId: rid, message: `Unknown action ${JSON.stringify(typeof action === 'string' ? action.slice(0, 40) : action ?? null)}; expected "sendMessage" or "ping".` };
  }
  const problem = validate(schema, value);
  if (problem) return { ok: false, requestId: rid && /^[A-Za-z0-9_-]+$/.test(rid) ? rid : undefined, message: capitalize(problem) + '.' };
  return { ok: true, frame: value as ClientFrame };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

export interface Usage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cacheReadTokens: number;
  readonly cacheWriteTokens: number;
}

export type ServerFrame =
  | { type: 'ack'; requestId: string; conversationId: string; messageId: string }
  | { type: 'start'; requestId: string; conversationId: string; messageId: string; parentMessageId: string; model: string }
  | { type: 'text'; requestId: string; conversationId: string; messageId: string; delta: string }
  | { type: 'end'; requestId: string; conversationId: string; messageId: string; stopReason: string; usage: Usage }
  | { type: 'error'; requestId?: string; conversationId?: string; messageId?: string; code: string; message: string }
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
