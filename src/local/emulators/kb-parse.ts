// src/local runs only in development (playground, tests): its imports are devDependencies.
// The local knowledge base's document parser: text, markdown, CSV and HTML in this thread; PDF (unpdf, pdf.js's
// serverless build) and DOCX (mammoth) in a worker thread with a heap limit and a deadline, so a PDF or zip bomb
// costs at most that worker (docs/architecture.md, "The local knowledge base").
import { Worker } from 'node:worker_threads';
import { Parser } from 'htmlparser2';

/** One parsed document: its text per page (one page for formats without pages). */
export interface ParsedDocument {
  readonly pages: string[];
}

/** A document that cannot be parsed; the message becomes the document's `statusReason` or a job's failure reason. */
export class ParseError extends Error {}

/**
 * The formats the local knowledge base parses, by MIME type. Bedrock's list of supported formats for knowledge base
 * data is .txt, .md, .html, .doc/.docx, .csv, .xls/.xlsx and .pdf
 * (https://docs.aws.amazon.com/bedrock/latest/userguide/knowledge-base-ds.html); inline bytes accept the MIME types
 * of ByteContentDoc (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_agent_ByteContentDoc.html).
 * Not parsed here: legacy .doc, spreadsheets, e-mail (message/rfc822) and WebVTT: such a document FAILS with a
 * reason that says so (a local limitation, listed in docs/architecture.md).
 */
export type DocumentFormat = 'text' | 'markdown' | 'csv' | 'html' | 'pdf' | 'docx';

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document';

/** The MIME types ByteContentDoc accepts (same page as above). */
export const BYTE_CONTENT_MIME_TYPES: ReadonlySet<string> = new Set([
  'text/plain', 'text/html', 'text/csv', 'text/vtt', 'message/rfc822', 'application/xhtml+xml', 'application/pdf',
  'application/msword', 'application/vnd.ms-word.document.macroenabled.12',
  'application/vnd.ms-word.template.macroenabled.12', 'application/vnd.ms-excel',
  'application/vnd.ms-excel.addin.macroenabled.12', 'application/vnd.ms-excel.sheet.macroenabled.12',
  'application/vnd.ms-excel.template.macroenabled.12', 'application/vnd.ms-excel.sheet.binary.macroenabled.12',
  'application/vnd.ms-spreadsheetml', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.template', DOCX,
  'application/vnd.openxmlformats-officedocument.wordprocessingml.template',
]);

/** The format of a MIME type, or undefined when the local knowledge base does not parse it. */
export function formatOfMimeType(mimeType: string): DocumentFormat | undefined {
  const type = mimeType.split(';')[0].trim().toLowerCase();
  switch (type) {
    case 'text/plain': return 'text';
    case 'text/markdown': return 'markdown';
    case 'text/csv': return 'csv';
    case 'text/html':
    case 'application/xhtml+xml': return 'html';
    case 'application/pdf': return 'pdf';
    case DOCX: return 'docx';
    default: return undefined;
  }
}

/** The format of an S3 object by its extension (an S3 data source has no MIME types), or undefined. */
export function formatOfKey(key: string): DocumentFormat | undefined {
  const m = /\.([A-Za-z0-9]+)$/.exec(key);
  switch (m?.[1].toLowerCase()) {
    case 'txt': return 'text';
    case 'md':
    case 'markdown': return 'markdown';
    case 'csv': return 'csv';
    case 'html':
    case 'htm': return 'html';
    case 'pdf': return 'pdf';
    case 'docx': return 'docx';
    default: return undefined;
  }
}

/** Whether Bedrock supports the extension at all (the knowledge-base-ds page above), parsed locally or not. */
export function isBedrockSupportedKey(key: string): boolean {
  return /\.(txt|md|markdown|html|htm|doc|docx|csv|xls|xlsx|pdf)$/i.test(key);
}

/** Bounds of one parse: the worker's heap, its deadline, the pages of a PDF and the text it may produce. */
export interface ParseLimits {
  /** @default 128 */
  readonly maxHeapMb?: number;
  /** @default 15_000 */
  readonly timeoutMs?: number;
  /** @default 1_000 */
  readonly maxPages?: number;
  /** @default 5_000_000 (characters) */
  readonly maxChars?: number;
}

const DEFAULT_LIMITS: Required<ParseLimits> = { maxHeapMb: 128, timeoutMs: 15_000, maxPages: 1_000, maxChars: 5_000_000 };

/** Parses one document. Rejects with a ParseError whose message says what was wrong. */
export async function parseDocument(bytes: Uint8Array, format: DocumentFormat, limits: ParseLimits = {}): Promise<ParsedDocument> {
  const l = { ...DEFAULT_LIMITS, ...limits };
  if (bytes.byteLength === 0) throw new ParseError('The document is empty (0 bytes).');
  switch (format) {
    case 'text':
    case 'markdown':
    case 'csv':
      return { pages: [bounded(decodeUtf8(bytes), l.maxChars)] };
    case 'html':
      return { pages: [bounded(htmlText(decodeUtf8(bytes)), l.maxChars)] };
    case 'pdf':
    case 'docx':
      return parseInWorker(bytes, format, l);
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ParseError('The document is not valid UTF-8 text.');
  }
}

function bounded(text: string, maxChars: number): string {
  if (text.length > maxChars) throw new ParseError(`The document's text exceeds ${maxChars} characters.`);
  return text;
}

const SKIPPED_ELEMENTS = new Set(['script', 'style', 'noscript', 'template', 'head']);
const BLOCK_ELEMENTS = new Set(['p', 'div', 'br', 'li', 'tr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'section', 'article', 'table', 'pre', 'blockquote', 'title']);

/** The visible text of an HTML document (scripts, styles and the head skipped; blocks on their own lines). */
export function htmlText(html: string): string {
  const out: string[] = [];
  let skipping = 0;
  let title = '';
  let inTitle = false;
  const parser = new Parser({
    onopentagname(name) {
      if (name === 'title') inTitle = true;
      else if (SKIPPED_ELEMENTS.has(name)) skipping++;
      if (BLOCK_ELEMENTS.has(name)) out.push('\n');
    },
    ontext(text) {
      if (inTitle) title += text;
      else if (skipping === 0) out.push(text);
    },
    onclosetag(name) {
      if (name === 'title') inTitle = false;
      else if (SKIPPED_ELEMENTS.has(name)) skipping = Math.max(0, skipping - 1);
      if (BLOCK_ELEMENTS.has(name)) out.push('\n');
    },
  }, { decodeEntities: true });
  parser.write(html);
  parser.end();
  const body = out.join('').replace(/[ \t\f\r]+/g, ' ').replace(/ *\n[\n ]*/g, '\n').trim();
  return title.trim() && !body.startsWith(title.trim()) ? `${title.trim()}\n${body}` : body;
}

/**
 * The worker's code (CommonJS, evaluated): the parsers are required by the absolute paths the parent resolved. A PDF
 * is read page by page, so a document with too many pages fails before its text is extracted.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { format, bytes, maxPages, maxChars, paths } = workerData;
(async () => {
  if (format === 'pdf') {
    const { getDocumentProxy } = require(paths.unpdf);
    const pdf = await getDocumentProxy(new Uint8Array(bytes), { isEvalSupported: false, stopAtErrors: true });
    if (pdf.numPages > maxPages) throw new Error('The PDF has ' + pdf.numPages + ' pages; at most ' + maxPages + ' are parsed.');
    const pages = [];
    let total = 0;
    for (let i = 1; i <= pdf.numPages; i++) {
      const page = await pdf.getPage(i);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items) if (typeof item.str === 'string') text += item.str + (item.hasEOL ? '\\n' : '');
      total += text.length;
      if (total > maxChars) throw new Error('The document\\'s text exceeds ' + maxChars + ' characters.');
      pages.push(text.trim());
      page.cleanup();
    }
    if (typeof pdf.cleanup === 'function') await pdf.cleanup();
    parentPort.postMessage({ pages });
  } else {
    const mammoth = require(paths.mammoth);
    const result = await mammoth.extractRawText({ buffer: Buffer.from(bytes) });
    if (result.value.length > maxChars) throw new Error('The document\\'s text exceeds ' + maxChars + ' characters.');
    parentPort.postMessage({ pages: [result.value.trim()] });
  }
})().catch((err) => parentPort.postMessage({ error: String(err && err.message || err) }));
`;

let parserPaths: { unpdf: string; mammoth: string } | undefined;

function parseInWorker(bytes: Uint8Array, format: 'pdf' | 'docx', l: Required<ParseLimits>): Promise<ParsedDocument> {
  parserPaths ??= { unpdf: require.resolve('unpdf'), mammoth: require.resolve('mammoth') };
  return new Promise<ParsedDocument>((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { format, bytes, maxPages: l.maxPages, maxChars: l.maxChars, paths: parserPaths },
      resourceLimits: { maxOldGenerationSizeMb: l.maxHeapMb, maxYoungGenerationSizeMb: 16 },
      stdout: true,
      stderr: true,
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      fn();
    };
    const kind = format === 'pdf' ? 'PDF' : 'DOCX';
    const timer = setTimeout(() => finish(() => reject(new ParseError(`Parsing the ${kind} took longer than ${l.timeoutMs} ms.`))), l.timeoutMs);
    worker.on('message', (m: { pages?: string[]; error?: string }) => finish(() => (m.pages
      ? resolve({ pages: m.pages })
      : reject(new ParseError(`The ${kind} could not be parsed: ${m.error}`)))));
    worker.on('error', (err: Error & { code?: string }) => finish(() => reject(new ParseError(err.code === 'ERR_WORKER_OUT_OF_MEMORY'
      ? `Parsing the ${kind} needed more than ${l.maxHeapMb} MB.`
      : `The ${kind} could not be parsed: ${err.message}`))));
    worker.on('exit', () => finish(() => reject(new ParseError(`The ${kind} parser stopped.`))));
  });
}
