// src/local runs only in development (playground, tests): its imports are devDependencies.
// The local knowledge base's document parser: text, markdown, CSV and HTML in this thread; PDF (unpdf, pdf.js's
// serverless build) and DOCX (mammoth) in a child process with a heap limit and a deadline, so a PDF or zip bomb
// costs at most that process (docs/architecture.md, "The local knowledge base").
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
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

/** Bounds of one parse: the parser process's heap, its deadline, the pages of a PDF and the text it may produce. */
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
      return parseInChildProcess(bytes, format, l);
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
 * The parser process's code (CommonJS, run with `node -e`): the bytes come on stdin, the pages go to stdout as JSON.
 * The parsers are required by the absolute paths the parent resolved. A PDF is read page by page, so a document with
 * too many pages fails before its text is extracted. A separate process, not a worker thread: V8 can abort the whole
 * process when a worker thread's heap limit is reached from a background thread, which a bomb must not do.
 */
const CHILD_SOURCE = `
const { format, maxPages, maxChars, paths } = JSON.parse(process.env.KB_PARSE_PARAMS);
const chunks = [];
process.stdin.on('data', (c) => chunks.push(c));
process.stdin.on('end', () => {
  const bytes = Buffer.concat(chunks);
  const reply = (m) => process.stdout.write(JSON.stringify(m), () => process.exit(0));
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
      reply({ pages });
    } else {
      const mammoth = require(paths.mammoth);
      const result = await mammoth.extractRawText({ buffer: bytes });
      if (result.value.length > maxChars) throw new Error('The document\\'s text exceeds ' + maxChars + ' characters.');
      reply({ pages: [result.value.trim()] });
    }
  })().catch((err) => reply({ error: String(err && err.message || err) }));
});
`;

let parserPaths: { unpdf: string; mammoth: string } | undefined;

/**
 * Where a parser is: bundled beside the `cdk-bedrock-chat local` command (assets/cli/parsers/<name>.js, built by
 * scripts/bundle-cli.js), else the package in node_modules (the playground and the tests).
 */
function parserPath(name: 'unpdf' | 'mammoth'): string {
  const bundled = join(__dirname, 'parsers', `${name}.js`);
  return existsSync(bundled) ? bundled : require.resolve(name);
}

function parseInChildProcess(bytes: Uint8Array, format: 'pdf' | 'docx', l: Required<ParseLimits>): Promise<ParsedDocument> {
  parserPaths ??= { unpdf: parserPath('unpdf'), mammoth: parserPath('mammoth') };
  const kind = format === 'pdf' ? 'PDF' : 'DOCX';
  return new Promise<ParsedDocument>((resolve, reject) => {
    const child = spawn(process.execPath, [`--max-old-space-size=${l.maxHeapMb}`, '-e', CHILD_SOURCE], {
      env: { PATH: process.env.PATH ?? '', KB_PARSE_PARAMS: JSON.stringify({ format, maxPages: l.maxPages, maxChars: l.maxChars, paths: parserPaths }) },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const out: Buffer[] = [];
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      fn();
    };
    const timer = setTimeout(() => finish(() => reject(new ParseError(`Parsing the ${kind} took longer than ${l.timeoutMs} ms.`))), l.timeoutMs);
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.on('error', (err) => finish(() => reject(new ParseError(`The ${kind} parser could not start: ${err.message}`))));
    child.on('close', (code, signal) => finish(() => {
      const text = Buffer.concat(out).toString('utf8');
      let m: { pages?: string[]; error?: string } | undefined;
      try {
        m = text ? JSON.parse(text) : undefined;
      } catch {
        m = undefined;
      }
      if (m?.pages) resolve({ pages: m.pages });
      else if (m?.error) reject(new ParseError(`The ${kind} could not be parsed: ${m.error}`));
      // V8 aborts (SIGABRT, exit code 134) when the heap limit is reached
      else if (signal === 'SIGABRT' || code === 134) reject(new ParseError(`Parsing the ${kind} needed more than ${l.maxHeapMb} MB.`));
      else reject(new ParseError(`The ${kind} parser stopped (${signal ?? code}).`));
    }));
    child.stdin.on('error', () => undefined);
    child.stdin.end(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });
}
