/**
 * The rules a bot's knowledge document must meet (docs/knowledge-contract.md, "Rules"), checked by the bot editor
 * before anything is uploaded. The server checks the same and stays the authority; this module imports nothing (no
 * server code, no DOM, no Lit), so it is only in the bots chunk.
 */

/** Extension → the content type the contract pairs with it. */
export const KNOWLEDGE_TYPES: Readonly<Record<string, string>> = {
  txt: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

/** The `accept` of the file chooser: the extensions above. */
export const KNOWLEDGE_ACCEPT = Object.keys(KNOWLEDGE_TYPES).map((e) => `.${e}`).join(',');

/**
 * 50 MiB: Bedrock, "Each file size doesn't exceed the quota of 50 MB"
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-base-ds.html), as the contract reads it.
 */
export const MAX_KNOWLEDGE_BYTES = 50 * 1024 * 1024;
export const MAX_KNOWLEDGE_NAME = 255;
/** At most this many documents per bot (the server answers 409 `LIMIT` beyond). */
export const MAX_KNOWLEDGE_DOCUMENTS = 100;

/** How often the editor reads the list again while a document is QUEUED or RUNNING. */
export const KNOWLEDGE_POLL_MS = 2000;

/** Why a file is refused, or `undefined` when it may be uploaded. */
export type KnowledgeProblem = 'type' | 'empty' | 'size' | 'name';

/** What is checked of a file (a `File` has these). */
export interface KnowledgeFile {
  readonly name: string;
  readonly size: number;
  readonly type: string;
}

/**
 * The content type to declare for a file: the one of its extension. A browser's own `type` is used only to refuse a
 * file whose type contradicts its extension (a browser reports `text/markdown` as '' or `text/x-markdown` on some
 * systems, so an unknown or empty `type` is not held against the file).
 */
export function knowledgeType(name: string): string | undefined {
  const ext = /\.([^.]+)$/.exec(name)?.[1].toLowerCase() ?? '';
  return Object.prototype.hasOwnProperty.call(KNOWLEDGE_TYPES, ext) ? KNOWLEDGE_TYPES[ext] : undefined;
}

/** The first rule a file breaks: name, then type, then size (the order the messages are shown in). */
export function knowledgeProblem(file: KnowledgeFile): KnowledgeProblem | undefined {
  // 1..255 characters (UTF-16 code units are what the server's `length` counts), no control characters, no / or \.
  // eslint-disable-next-line no-control-regex
  if (!file.name || file.name.length > MAX_KNOWLEDGE_NAME || /[\u0000-\u001f\u007f-\u009f/\\]/.test(file.name)) return 'name';
  // As the server (docs/knowledge-contract.md, Amended): no leading or trailing spaces, not "." or "..", and short
  // enough for the object key (922 bytes of UTF-8 after its prefix) and the upload's user metadata (1,900 characters
  // percent-encoded).
  if (file.name.trim() !== file.name || file.name === '.' || file.name === '..') return 'name';
  if (new TextEncoder().encode(file.name).length > 922 || encodeURIComponent(file.name).length > 1900) return 'name';
  const type = knowledgeType(file.name);
  if (!type) return 'type';
  const given = file.type.split(';')[0].trim().toLowerCase();
  if (given && given !== type && Object.values(KNOWLEDGE_TYPES).includes(given)) return 'type';
  if (file.size < 1) return 'empty';
  if (file.size > MAX_KNOWLEDGE_BYTES) return 'size';
  return undefined;
}
