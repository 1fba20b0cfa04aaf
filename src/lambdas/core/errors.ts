/** Typed errors, mapped to HTTP status codes and protocol error codes in one place. */
export type ErrorCode =
  | 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'METHOD_NOT_ALLOWED' | 'CONFLICT' | 'TOO_LARGE'
  | 'UNPROCESSABLE' | 'THROTTLED' | 'QUOTA' | 'MODEL_ERROR' | 'INTERNAL'
  // Bots (issue 11): a deployment-owned bot cannot be changed in the app; a turn with a bot the caller may no longer use.
  | 'MANAGED' | 'BOT_UNAVAILABLE'
  // Knowledge (issue 12): a bot already has as many documents as it may (docs/knowledge-contract.md).
  | 'LIMIT'
  // Knowledge, slice 2: a dedicated bot's knowledge base is not ACTIVE; a bot on an existing knowledge base has no documents.
  | 'NOT_READY' | 'EXISTING';

export class ChatError extends Error {
  /** `cause`: the service error this one explains to the user (kept so callers can tell what the service said). */
  constructor(readonly code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChatError';
  }
}

export const invalid = (message: string) => new ChatError('BAD_REQUEST', message);
export const notFound = (message: string) => new ChatError('NOT_FOUND', message);
export const forbidden = (message: string) => new ChatError('FORBIDDEN', message);
export const conflict = (message: string) => new ChatError('CONFLICT', message);
/** Well-formed, but not possible for this resource in its current state. */
export const unprocessable = (message: string) => new ChatError('UNPROCESSABLE', message);

const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  TOO_LARGE: 413,
  UNPROCESSABLE: 422,
  THROTTLED: 429,
  /** Over a usage limit (core/usage.ts): which limit and when it resets travel with the error. */
  QUOTA: 429,
  MODEL_ERROR: 502,
  INTERNAL: 500,
  MANAGED: 403,
  BOT_UNAVAILABLE: 403,
  LIMIT: 409,
  NOT_READY: 409,
  EXISTING: 409,
};

export function statusOf(code: ErrorCode): number {
  return STATUS[code];
}

/** AWS errors that mean "too many requests" once the SDK has given up retrying (DynamoDB, Bedrock, Lambda). */
const THROTTLING = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded', 'TooManyRequestsException']);

/**
 * Any thrown value as a ChatError; AWS throttling becomes THROTTLED, other unknown errors become INTERNAL with a
 * generic message (details stay in logs).
 */
export function toChatError(err: unknown): ChatError {
  if (err instanceof ChatError) return err;
  if (THROTTLING.has((err as { name?: string } | undefined)?.name ?? '')) {
    return new ChatError('THROTTLED', 'Too many requests right now. Please try again in a moment.');
  }
  return new ChatError('INTERNAL', 'Something went wrong on our side. Please try again.');
}
