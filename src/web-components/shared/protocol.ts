/** WebSocket protocol v1 (docs/architecture.md) as seen by the browser. */
import type { QuotaDetails, UsageReport } from '../../lambdas/core/protocol.js';

export type { QuotaDetails, UsageReport };

export const SUBPROTOCOL = 'bedrock-chat.v1';

export type ImageFormat = 'png' | 'jpeg' | 'gif' | 'webp';
export type DocumentFormat = 'pdf' | 'csv' | 'doc' | 'docx' | 'xls' | 'xlsx' | 'html' | 'txt' | 'md';

/** A content block: text inline, files by the key of their upload. Stored messages may carry tool blocks too. */
export interface ContentBlock {
  readonly text?: string;
  readonly image?: { readonly format: ImageFormat; readonly key: string };
  readonly document?: { readonly format: DocumentFormat; readonly name: string; readonly key: string };
  readonly toolUse?: { readonly toolUseId?: string; readonly name?: string; readonly input?: unknown };
  readonly toolResult?: { readonly toolUseId?: string; readonly status?: string; readonly content?: unknown };
}

interface RequestFrame {
  readonly v: 1;
  readonly requestId: string;
}

export interface SendMessageFrame extends RequestFrame {
  readonly action: 'sendMessage';
  readonly conversationId?: string;
  readonly parentMessageId?: string;
  readonly editOf?: string;
  readonly model?: string;
  readonly reasoning?: boolean;
  /** The bot to chat with (a new conversation), or the conversation's bot. */
  readonly botId?: string;
  readonly content: ContentBlock[];
}

export interface RegenerateFrame extends RequestFrame {
  readonly action: 'regenerate';
  readonly conversationId: string;
  readonly messageId: string;
  readonly model?: string;
  readonly reasoning?: boolean;
}

export interface ContinueFrame extends RequestFrame {
  readonly action: 'continue';
  readonly conversationId: string;
  readonly messageId: string;
}

export interface StopFrame extends RequestFrame { readonly action: 'stop' }

/** After a lost connection: the answer to `requestId` continues on this connection (the server replies `resumed`). */
export interface ResumeFrame extends RequestFrame { readonly action: 'resume' }

export interface PingFrame {
  readonly action: 'ping';
  readonly v: 1;
}

export type ClientFrame = SendMessageFrame | RegenerateFrame | ContinueFrame | StopFrame | ResumeFrame | PingFrame;

export type ErrorCode = 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'TOO_LARGE' | 'THROTTLED'
| 'MODEL_ERROR' | 'INTERNAL'
/** The turn's bot is no longer available to the caller (deleted or unshared): the conversation cannot continue. */
| 'BOT_UNAVAILABLE'
/** Over a usage limit: `quota` says which and when it resets. */
| 'QUOTA'
/** The connection's token expired: the server closes the connection after this frame. */
| 'AUTH_EXPIRED'
/** A `botId` that differs from the conversation's bot, or a model outside the bot's models. */
| 'INVALID';

export interface Usage {
  readonly inputTokens?: number;
  readonly outputTokens?: number;
  readonly cacheReadTokens?: number;
  readonly cacheWriteTokens?: number;
}

interface FrameBase {
  readonly v: 1;
  readonly requestId?: string;
  readonly conversationId?: string;
  readonly messageId?: string;
}

export interface AckFrame extends FrameBase { readonly type: 'ack' }
export interface StartFrame extends FrameBase {
  readonly type: 'start';
  readonly parentMessageId?: string;
  readonly model?: string;
  readonly continued?: boolean;
  /** The answer moved to this connection: what was shown of it is replaced by the frames that follow. */
  readonly resumed?: boolean;
}
/** `snapshot`: the frame replays the answer so far after a `start` with `resumed`. */
export interface TextFrame extends FrameBase { readonly type: 'text' | 'reasoning'; readonly delta: string; readonly snapshot?: boolean }
export interface ToolUseFrame extends FrameBase { readonly type: 'toolUse'; readonly toolUseId: string; readonly name: string; readonly input: unknown }
export interface ToolResultFrame extends FrameBase {
  readonly type: 'toolResult';
  readonly toolUseId: string;
  readonly status: string;
  readonly content: unknown;
}
export interface CitationFrame extends FrameBase {
  readonly type: 'citation';
  readonly sourceId?: string;
  readonly title?: string;
  readonly url?: string;
  readonly snippet?: string;
  /** A document of the conversation's bot: opened through `GET /knowledge/bots/{botId}/documents/{documentId}/source`. */
  readonly documentId?: string;
  /** The page of the document the passage is on, where the knowledge base gives one. */
  readonly page?: number;
}
export interface EndFrame extends FrameBase {
  readonly type: 'end';
  readonly stopReason?: string;
  readonly usage?: Usage;
  readonly price?: number;
  /** How many earlier messages were left out so the request fit the model's context window. */
  readonly contextTrimmed?: number;
}
export interface TitleFrame extends FrameBase { readonly type: 'title'; readonly title: string }
export interface ErrorFrame extends FrameBase {
  readonly type: 'error';
  readonly code: ErrorCode | string;
  readonly message?: string;
  /** `QUOTA`: the limit reached (the server's type, src/lambdas/core/protocol.ts). */
  readonly quota?: QuotaDetails;
}
export interface PongFrame extends FrameBase { readonly type: 'pong' }
/** The reply to `resume`: `done` when the answer was finished and stored meanwhile (reload it). */
export interface ResumedFrame extends FrameBase { readonly type: 'resumed'; readonly done: boolean }

export type ServerFrame = AckFrame | StartFrame | TextFrame | ToolUseFrame | ToolResultFrame | CitationFrame | EndFrame
| TitleFrame | ErrorFrame | PongFrame | ResumedFrame;

const FRAME_TYPES = new Set(['ack', 'start', 'text', 'reasoning', 'toolUse', 'toolResult', 'citation', 'end', 'title', 'error', 'pong', 'resumed']);

/** Parses a server frame; returns undefined for anything that is not a v1 frame we know. */
export function parseServerFrame(data: unknown): ServerFrame | undefined {
  if (typeof data !== 'string') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const frame = value as { type?: unknown; v?: unknown; delta?: unknown; title?: unknown; name?: unknown; done?: unknown };
  if (frame.v !== 1 || typeof frame.type !== 'string' || !FRAME_TYPES.has(frame.type)) return undefined;
  if ((frame.type === 'text' || frame.type === 'reasoning') && typeof frame.delta !== 'string') return undefined;
  if (frame.type === 'title' && typeof frame.title !== 'string') return undefined;
  if (frame.type === 'toolUse' && typeof frame.name !== 'string') return undefined;
  if (frame.type === 'resumed' && typeof frame.done !== 'boolean') return undefined;
  return value as ServerFrame;
}

/** A request id matching `[A-Za-z0-9_-]{1,64}`; works outside secure contexts (no randomUUID). */
export function randomId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
