/* eslint-disable no-bitwise */ // image headers are binary: widths and heights are read from bytes
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
const DOCUMENT_NAME = new RegExp(DOCUMENT_NAME_PATTERN);

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

/** Why Bedrock would refuse this document name, or undefined when it is fine. */
export function documentNameProblem(name: string): string | undefined {
  if (name.length < 1 || name.length > MAX_DOCUMENT_NAME_LENGTH) return `a document name has 1 to ${MAX_DOCUMENT_NAME_LENGTH} characters`;
  if (/\s\s/.test(name)) return 'a document name may not have two whitespace characters in a row';
  if (!DOCUMENT_NAME.test(name)) return 'a document name may contain only letters A-Z, digits, single spaces, hyphens, parentheses and square brackets';
  return undefined;
}

/**
 * A document name Bedrock accepts, kept readable: no extension, accents dropped, `_` `.` `,` `;` `:` `+` become
 * spaces, other characters removed, whitespace runs collapsed; `Document` when nothing is left.
 */
export function toDocumentName(fileName: string, stripExtension = true): string {
  const name = (stripExtension ? fileName.replace(/\.[a-z0-9]{1,8}$/i, '') : fileName)
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[_.,;:+]+/g, ' ')
    .replace(/[^A-Za-z0-9\s()[\]-]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120)
    .trim();
  return name || 'Document';
}

/** Bedrock refuses two documents with the same name in one message: ` (2)`, ` (3)`, ... make them unique. */
export function uniqueDocumentName(name: string, taken: ReadonlySet<string>): string {
  let candidate = name;
  for (let n = 2; taken.has(candidate); n++) candidate = `${name} (${n})`;
  return candidate;
}

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/**
 * Width and height from an image's header (PNG, JPEG, GIF, WebP), without decoding it; undefined when the header is
 * not one of these or is cut short. Reads only the first bytes (JPEG: up to the first frame header).
 */
export function imageSize(bytes: Uint8Array): ImageSize | undefined {
  const b = bytes;
  const u16be = (i: number) => (b[i] << 8) | b[i + 1];
  const u16le = (i: number) => b[i] | (b[i + 1] << 8);
  const u24le = (i: number) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
  const u32be = (i: number) => ((b[i] << 24) >>> 0) + ((b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]);
  const ascii = (i: number, n: number) => String.fromCharCode(...b.subarray(i, i + n));
  // PNG: signature, then the IHDR chunk with width and height (big-endian).
  if (b.length >= 24 && b[0] === 0x89 && ascii(1, 3) === 'PNG' && ascii(12, 4) === 'IHDR') {
    return { width: u32be(16), height: u32be(20) };
  }
  // GIF: logical screen width and height (little-endian).
  if (b.length >= 10 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) {
    return { width: u16le(6), height: u16le(8) };
  }
  // WebP: RIFF container, then a VP8 (lossy), VP8L (lossless) or VP8X (extended) chunk.
  if (b.length >= 30 && ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') {
    const chunk = ascii(12, 4);
    if (chunk === 'VP8 ') return { width: u16le(26) & 0x3fff, height: u16le(28) & 0x3fff };
    if (chunk === 'VP8L') {
      const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    if (chunk === 'VP8X') return { width: u24le(24) + 1, height: u24le(27) + 1 };
    return undefined;
  }
  // JPEG: walk the markers to the first start-of-frame (SOF0-SOF15 except DHT C4, JPG C8, DAC CC).
  if (b.length >= 4 && b[0] === 0xff && b[1] === 0xd8) {
    let i = 2;
    while (i + 9 < b.length) {
      if (b[i] !== 0xff) return undefined;
      const marker = b[i + 1];
      if (marker === 0xff) { i++; continue; }
      if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) { i += 2; continue; }
      if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
        return { height: u16be(i + 5), width: u16be(i + 7) };
      }
      i += 2 + u16be(i + 2);
    }
  }
  return undefined;
}

/** Why Bedrock would refuse an image of this size and these bytes, or undefined. `what` names it for the user. */
export function imageProblem(what: string, byteLength: number, size: ImageSize | undefined): string | undefined {
  if (byteLength > MAX_IMAGE_BYTES) return `${what} is ${mb(byteLength)}; an image can be at most ${mb(MAX_IMAGE_BYTES)}`;
  if (size && (size.width > MAX_IMAGE_PIXELS || size.height > MAX_IMAGE_PIXELS)) {
    return `${what} is ${size.width} × ${size.height} px; an image can be at most ${MAX_IMAGE_PIXELS} px wide and high`;
  }
  return undefined;
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
