import { msg, str } from '@lit/localize';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { randomId } from './protocol.js';
import type { ContentBlock, DocumentFormat, ImageFormat } from './protocol.js';

/** Bedrock's limit for one image or document. */
export const MAX_FILE_BYTES = 4.5 * 1024 * 1024;
/** Pasted text longer than this becomes a `txt` document (a frame is limited to 32 KB). */
export const LONG_TEXT_CHARS = 20_000;
/** A message holds at most 20 blocks: the text and 19 files. */
export const MAX_FILES = 19;

const IMAGE_TYPES: Record<ImageFormat, string> = { png: 'image/png', jpeg: 'image/jpeg', gif: 'image/gif', webp: 'image/webp' };
const DOCUMENT_TYPES: Record<DocumentFormat, string> = {
  pdf: 'application/pdf',
  csv: 'text/csv',
  doc: 'application/msword',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xls: 'application/vnd.ms-excel',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  html: 'text/html',
  txt: 'text/plain',
  md: 'text/markdown',
};
const ALIASES: Record<string, string> = { jpg: 'jpeg', htm: 'html', markdown: 'md' };
export const ACCEPT = [...Object.keys(IMAGE_TYPES), ...Object.keys(DOCUMENT_TYPES), ...Object.keys(ALIASES)].map((e) => `.${e}`).join(',');

export type AttachmentState = 'uploading' | 'ready' | 'failed';

export interface Attachment {
  readonly id: string;
  readonly file: File;
  readonly kind: 'image' | 'document';
  readonly format: ImageFormat | DocumentFormat;
  /** The document name sent to Bedrock (allowed characters only); unused for images. */
  readonly name: string;
  state: AttachmentState;
  key?: string;
}

export interface AttachmentsOptions {
  /** The REST API base URL; undefined while the config is not known. */
  readonly restApiUrl: () => string | undefined;
  readonly token: () => Promise<string>;
  /** A file was refused or could not be uploaded: `message` is for the user. */
  readonly onReject: (message: string) => void;
}

/** The format of a file we can send, from its extension, else its MIME type. */
export function formatOf(file: File): { kind: 'image' | 'document'; format: ImageFormat | DocumentFormat } | undefined {
  const raw = /\.([a-z0-9]+)$/i.exec(file.name)?.[1].toLowerCase() ?? '';
  const ext = ALIASES[raw] ?? raw;
  if (ext in IMAGE_TYPES) return { kind: 'image', format: ext as ImageFormat };
  if (ext in DOCUMENT_TYPES) return { kind: 'document', format: ext as DocumentFormat };
  const type = file.type.split(';')[0];
  const image = Object.entries(IMAGE_TYPES).find(([, t]) => t === type)?.[0];
  if (image) return { kind: 'image', format: image as ImageFormat };
  const document = Object.entries(DOCUMENT_TYPES).find(([, t]) => t === type)?.[0];
  return document ? { kind: 'document', format: document as DocumentFormat } : undefined;
}

/**
 * A document name Bedrock accepts (letters, digits, single spaces, hyphens, parentheses, square brackets), kept
 * readable: no extension, accents dropped, `_` and `.` become spaces.
 */
export function documentName(fileName: string): string {
  const name = fileName
    .replace(/\.[a-z0-9]{1,8}$/i, '')
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[_.,;:+]+/g, ' ')
    .replace(/[^A-Za-z0-9 ()[\]-]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 120)
    .trim();
  return name || 'Document';
}

/**
 * Files attached to the next message: checked (type, size), uploaded at once through a presigned PUT
 * (`POST {restApiUrl}/uploads`, then `PUT url` with exactly the returned headers), and turned into content blocks.
 */
export class AttachmentsController implements ReactiveController {
  items: Attachment[] = [];

  constructor(private readonly host: ReactiveControllerHost, private readonly options: AttachmentsOptions) {
    host.addController(this);
  }

  hostConnected(): void {}

  get busy(): boolean {
    return this.items.some((a) => a.state !== 'ready');
  }

  /** Checks and uploads files; refused ones are reported through `onReject`. */
  add(files: Iterable<File>): void {
    const refused: string[] = [];
    for (const file of files) {
      const type = formatOf(file);
      if (!type) {
        refused.push(msg(str`${file.name || msg('This file')} cannot be attached: only images (PNG, JPEG, GIF, WebP) and documents (PDF, CSV, DOC, DOCX, XLS, XLSX, HTML, TXT, MD) are supported.`));
      } else if (file.size > MAX_FILE_BYTES) {
        refused.push(msg(str`${file.name} is too large: files can be at most 4.5 MB.`));
      } else if (this.items.length >= MAX_FILES) {
        refused.push(msg(str`${file.name} was not attached: a message can carry at most ${MAX_FILES} files.`));
      } else {
        const item: Attachment = { id: randomId(), file, ...type, name: this.uniqueName(documentName(file.name)), state: 'uploading' };
        this.items = [...this.items, item];
        void this.upload(item);
      }
    }
    if (refused.length) this.options.onReject(refused.join(' '));
    this.host.requestUpdate();
  }

  remove(id: string): void {
    this.items = this.items.filter((a) => a.id !== id);
    this.host.requestUpdate();
  }

  clear(): void {
    this.items = [];
    this.host.requestUpdate();
  }

  /** The content blocks of the uploaded files. */
  blocks(): ContentBlock[] {
    return this.items.filter((a) => a.key).map((a) => (a.kind === 'image'
      ? { image: { format: a.format as ImageFormat, key: a.key! } }
      : { document: { format: a.format as DocumentFormat, name: a.name, key: a.key! } }));
  }

  /** Bedrock refuses two documents with the same name in one message. */
  private uniqueName(name: string): string {
    let candidate = name;
    for (let n = 2; this.items.some((a) => a.kind === 'document' && a.name === candidate); n++) candidate = `${name} (${n})`;
    return candidate;
  }

  private async upload(item: Attachment): Promise<void> {
    try {
      const base = this.options.restApiUrl();
      if (!base) throw new Error('no restApiUrl');
      const token = await this.options.token();
      const contentType = (item.kind === 'image' ? IMAGE_TYPES : DOCUMENT_TYPES)[item.format as never] as string;
      const response = await fetch(`${base.replace(/\/+$/, '')}/uploads`, {
        method: 'POST',
        headers: { 'Authorization': `Bearer ${token}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: item.file.name, contentType, size: item.file.size }),
      });
      if (!response.ok) throw new Error(`POST /uploads: HTTP ${response.status}`);
      const target = (await response.json()) as { key: string; url: string; headers?: Record<string, string> };
      // The body as bytes, so that the browser adds no Content-Type of its own: exactly the signed headers are sent.
      const put = await fetch(target.url, { method: 'PUT', headers: target.headers ?? {}, body: await item.file.arrayBuffer() });
      if (!put.ok) throw new Error(`PUT: HTTP ${put.status}`);
      item.key = target.key;
      item.state = 'ready';
    } catch {
      item.state = 'failed';
      if (this.items.includes(item)) this.options.onReject(`${item.file.name} could not be uploaded. Remove it and try again.`);
    }
    this.items = [...this.items];
    this.host.requestUpdate();
  }
}
