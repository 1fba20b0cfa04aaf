/**
 * Bedrock's request rules that this system relies on, defined once: the upload route, the worker (when it builds the
 * Converse request) and the widget (before it uploads anything) import these. Plain TypeScript with no Node or AWS
 * imports, so the browser bundle can use it too.
 *
 * Sizes: the documentation says "3.75 MB" and "4.5 MB" without saying whether a MB is 10^6 or 2^20 bytes. We read it
 * as the smaller (10^6): a file we accept is then accepted by Bedrock under either reading.
 */

/**
 * Per message: "You can include up to 20 images. Each image's size, height, and width must be no more than 3.75 MB,
 * 8000 px, and 8000 px, respectively. You can include up to five documents. Each document's size must be no more than
 * 4.5 MB." https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Message.html
 * Counted per Converse message, so after consecutive user turns are merged into one (see toConverseMessages).
 */
export const MAX_IMAGES_PER_MESSAGE = 20;
export const MAX_DOCUMENTS_PER_MESSAGE = 5;
export const MAX_IMAGE_BYTES = 3_750_000;
export const MAX_IMAGE_PIXELS = 8000;
export const MAX_DOCUMENT_BYTES = 4_500_000;

/**
 * DocumentBlock.name: "The name can only contain the following characters: Alphanumeric characters, Whitespace
 * characters (no more than one in a row), Hyphens, Parentheses, Square brackets"; length 1-200.
 * https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_DocumentBlock.html
 * We read "alphanumeric" as ASCII letters and digits (the narrowest reading) and allow only single spaces between
 * words (no leading or trailing whitespace), which is inside the documented rule.
 */
export const MAX_DOCUMENT_NAME_LENGTH = 200;
export const DOCUMENT_NAME_PATTERN = '^[A-Za-z0-9()\\[\\]-]+( [A-Za-z0-9()\\[\\]-]+)*$';

/**
 * API Gateway WebSocket APIs: "WebSocket frame size: 32 KB" (not adjustable); "If a larger message (or larger frame
 * size) is received, the connection is closed with code 1009."
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-execution-service-websocket-limits-table.html
 * The limit counts bytes, not characters: 20,000 characters of Japanese are about 60 KB of UTF-8.
 */
export const MAX_FRAME_BYTES = 32 * 1024;
/**
 * The widget's budget for one client frame, in UTF-8 bytes of the whole JSON frame: below 32 KB under either reading
 * of "KB". Text that would make a frame larger goes through the large-message bucket as a `txt` document.
 */
export const FRAME_BUDGET_BYTES = 32_000;
/** The most UTF-8 bytes one inline text block may have (the rest of the frame is its small JSON envelope). */
export const MAX_INLINE_TEXT_BYTES = 31_000;

/** Extended thinking: `budget_tokens` ≥ 1,024 and below `max_tokens`. https://platform.claude.com/docs/en/build-with-claude/extended-thinking */
export const MIN_THINKING_BUDGET = 1024;

const encoder = /* @__PURE__ */ new TextEncoder();

/** The length of `text` in UTF-8 bytes (lone surrogates count as the 3 bytes of U+FFFD, as TextEncoder writes them). */
export function utf8Bytes(text: string): number {
  return encoder.encode(text).length;
}

/** `3.75 MB` (10^6 bytes), for messages. */
export function mb(bytes: number): string {
  return `${Number((bytes / 1_000_000).toFixed(2))} MB`;
}

/** The answer's `maxTokens` when no reasoning budget raises it (see `streamAnswer`). */
export const ANSWER_MAX_TOKENS = 4096;

/**
 * The largest output one answer may have: `ANSWER_MAX_TOKENS`, or the reasoning budget plus 1,024 tokens of answer
 * when a client asks for reasoning (`streamAnswer`'s `inferenceConfig.maxTokens`).
 */
export function largestOutputTokens(reasoningBudget: number): number {
  return Math.max(ANSWER_MAX_TOKENS, reasoningBudget + 1024);
}

/**
 * Time kept back from the invocation's remaining time for what follows the stream: the final frames, the answer's
 * writes, the request's `finish` and a title proposal (each a single call of well under a second; 15 s is ample).
 */
export const TIME_BUDGET_MARGIN_MS = 15_000;

/**
 * The tag of an upload that no stored message references yet: set by the presigned PUT of `POST /uploads` (signed
 * x-amz-tagging header), removed when a message referencing the upload is stored. The bucket's lifecycle rule
 * `ExpireUnreferencedUploads` deletes uploads still tagged a day after they were written.
 */
export const PENDING_TAG = { key: 'pending', value: 'true' } as const;
