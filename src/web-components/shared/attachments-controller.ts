import { msg, str } from '@lit/localize';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { randomId } from './protocol.js';
import type { ContentBlock, DocumentFormat, ImageFormat } from './protocol.js';
import {
  FRAME_BUDGET_BYTES, imageSize, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS_PER_MESSAGE, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGES_PER_MESSAGE, mb,
  toDocumentName, uniqueDocumentName, utf8Bytes,
} from '../../lambdas/core/limits.js';

/**
 * Bedrock's limits, defined once in core (src/lambdas/core/limits.ts, with their sources): per message at most 20
 * images (3.75 MB, 8,000 px per side) and 5 documents (4.5 MB). Checked here before anything is uploaded.
 */
export { MAX_DOCUMENT_BYTES, MAX_DOCUMENTS_PER_MESSAGE, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGES_PER_MESSAGE };

/** How much of an image is read to find its dimensions (a JPEG's frame header may follow large EXIF data). */
const HEADER_BYTES = 256 * 1024;

/**
 * Whether a sendMessage frame fits in one WebSocket frame: API Gateway closes the socket (1009) past 32 KB, counted in
 * bytes. Measured on the whole JSON frame in UTF-8, with the longest request id.
 */
export function fitsInFrame(frame: Record<string, unknown>): boolean {
  return utf8Bytes(JSON.stringify({ v: 1, requestId: 'r'.repeat(64), ...frame })) <= FRAME_BUDGET_BYTES;
}

/** Whether pasted text can go inline (with room for the frame's envelope and a few attachments), else as a document. */
export function fitsInline(text: string): boolean {
  return fitsInFrame({ action: 'sendMessage', conversationId: 'c'.repeat(26), parentMessageId: 'p'.repeat(26), model: 'm'.repeat(64), content: [{ text }] });
}

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

/** A document name Bedrock accepts, from a file name (see toDocumentName in core). */
export function documentName(fileName: string): string {
  return toDocumentName(fileName);
}

/**
 * Files attached to the next message: checked (type, size), uploaded at once through a presigned PUT
 * (`POST {restApiUrl}/uploads`, then `PUT url` with exactly the returned headers), and turned into content blocks.
 */
export class AttachmentsController implements ReactiveController {
  items: Attachment[] = [];
  private checks: Promise<void> = Promise.resolve();

  constructor(private readonly host: ReactiveControllerHost, private readonly options: AttachmentsOptions) {
    host.addController(this);
  }

  hostConnected(): void {}

  get busy(): boolean {
    return this.items.some((a) => a.state !== 'ready');
  }

  /**
   * Checks and uploads files; refused ones are reported through `onReject`, before anything is uploaded: the type,
   * the size for its kind, the number of images and documents per message, and an image's width and height (read
   * from its header).
   */
  add(files: Iterable<File>): void {
    const refused: string[] = [];
    for (const file of files) {
      const type = formatOf(file);
      const count = (kind: Attachment['kind']) => this.items.filter((a) => a.kind === kind).length;
      if (!type) {
        refused.push(msg(str`${file.name || msg('This file')} cannot be attached: only images (PNG, JPEG, GIF, WebP) and documents (PDF, CSV, DOC, DOCX, XLS, XLSX, HTML, TXT, MD) are supported.`));
      } else if (type.kind === 'image' && file.size > MAX_IMAGE_BYTES) {
        refused.push(msg(str`${file.name} is too large: an image can be at most ${mb(MAX_IMAGE_BYTES)}.`));
      } else if (type.kind === 'document' && file.size > MAX_DOCUMENT_BYTES) {
        refused.push(msg(str`${file.name} is too large: a document can be at most ${mb(MAX_DOCUMENT_BYTES)}.`));
      } else if (type.kind === 'image' && count('image') >= MAX_IMAGES_PER_MESSAGE) {
        refused.push(msg(str`${file.name} was not attached: a message can carry at most ${MAX_IMAGES_PER_MESSAGE} images.`));
      } else if (type.kind === 'document' && count('document') >= MAX_DOCUMENTS_PER_MESSAGE) {
        refused.push(msg(str`${file.name} was not attached: a message can carry at most ${MAX_DOCUMENTS_PER_MESSAGE} documents.`));
      } else {
        const taken = new Set(this.items.filter((a) => a.kind === 'document').map((a) => a.name));
        const item: Attachment = { id: randomId(), file, ...type, name: uniqueDocumentName(documentName(file.name), taken), state: 'uploading' };
        this.items = [...this.items, item];
        // Checks run one after the other (an image's header is read first), so uploads start in the order attached.
        this.checks = this.checks.then(() => this.check(item)).then((ok) => { if (ok) void this.upload(item); });
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

  /** An image may be uploaded once its header says it is at most 8,000 px wide and high; it is refused otherwise. */
  private async check(item: Attachment): Promise<boolean> {
    if (item.kind === 'image') {
      let size: { width: number; height: number } | undefined;
      try {
        size = imageSize(new Uint8Array(await item.file.slice(0, HEADER_BYTES).arrayBuffer()));
      } catch {
        size = undefined; // unreadable here: Bedrock decides
      }
      if (size && (size.width > MAX_IMAGE_PIXELS || size.height > MAX_IMAGE_PIXELS)) {
        const name = item.file.name;
        const [width, height] = [size.width, size.height];
        this.remove(item.id);
        this.options.onReject(msg(str`${name} is ${width} × ${height} px: an image can be at most ${MAX_IMAGE_PIXELS} px wide and high.`));
        return false;
      }
    }
    return this.items.includes(item);
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
