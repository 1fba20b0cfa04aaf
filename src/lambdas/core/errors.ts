/** Typed errors, mapped to HTTP status codes and protocol error codes in one place. */
export type ErrorCode = 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'TOO_LARGE' | 'THROTTLED' | 'MODEL_ERROR' | 'INTERNAL';

export class ChatError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
    this.name = 'ChatError';
  }
}

export const invalid = (message: string) => new ChatError('BAD_REQUEST', message);
export const notFound = (message: string) => new ChatError('NOT_FOUND', message);
export const forbidden = (message: string) => new ChatError('FORBIDDEN', message);
export const conflict = (message: string) => new ChatError('CONFLICT', message);

const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_LARGE: 413,
  THROTTLED: 429,
  MODEL_ERROR: 502,
  INTERNAL: 500,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

/** Any thrown value as a ChatError; unknown errors become INTERNAL with a generic message (details stay in logs). */
export function toChatError(err: unknown): ChatError {
  if (err instanceof ChatError) return err;
  return new ChatError('INTERNAL', 'Something went wrong on our side. Please try again.');
}
