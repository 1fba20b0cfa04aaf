/** WebSocket protocol v1 (docs/architecture.md) as seen by the browser. */

export const SUBPROTOCOL = 'bedrock-chat.v1';

export interface ContentBlock {
  readonly text?: string;
}

export interface SendMessageFrame {
  readonly action: 'sendMessage';
  readonly v: 1;
  readonly requestId: string;
  readonly conversationId?: string;
  readonly parentMessageId?: string;
  readonly model?: string;
  readonly content: ContentBlock[];
}

export interface PingFrame {
  readonly action: 'ping';
  readonly v: 1;
}

export type ClientFrame = SendMessageFrame | PingFrame;

export type ErrorCode = 'BAD_REQUEST' | 'NOT_FOUND' | 'THROTTLED' | 'MODEL_ERROR' | 'INTERNAL';

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
export interface StartFrame extends FrameBase { readonly type: 'start'; readonly parentMessageId?: string }
export interface TextFrame extends FrameBase { readonly type: 'text'; readonly delta: string }
export interface EndFrame extends FrameBase { readonly type: 'end'; readonly stopReason?: string; readonly usage?: Usage }
export interface ErrorFrame extends FrameBase { readonly type: 'error'; readonly code: ErrorCode | string; readonly message?: string }
export interface PongFrame extends FrameBase { readonly type: 'pong' }

export type ServerFrame = AckFrame | StartFrame | TextFrame | EndFrame | ErrorFrame | PongFrame;

const FRAME_TYPES = new Set(['ack', 'start', 'text', 'end', 'error', 'pong']);

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
  const frame = value as { type?: unknown; v?: unknown; delta?: unknown };
  if (frame.v !== 1 || typeof frame.type !== 'string' || !FRAME_TYPES.has(frame.type)) return undefined;
  if (frame.type === 'text' && typeof frame.delta !== 'string') return undefined;
  return value as ServerFrame;
}

/** A request id matching `[A-Za-z0-9_-]{1,64}`; works outside secure contexts (no randomUUID). */
export function randomId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
