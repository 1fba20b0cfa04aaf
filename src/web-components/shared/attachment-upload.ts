import { msg, str } from '@lit/localize';
import { ALIASES, DOCUMENT_TYPES, IMAGE_TYPES } from './attachment-types.js';
import type { Attachment, AttachmentsController } from './attachments-controller.js';
import { randomId } from './protocol.js';
import type { DocumentFormat, ImageFormat } from './protocol.js';
import { imageSize, toDocumentName, uniqueDocumentName } from '../../lambdas/core/attachment-files.js';
import {
  MAX_DOCUMENT_BYTES, MAX_DOCUMENTS_PER_MESSAGE, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGES_PER_MESSAGE, mb,
} from '../../lambdas/core/limits.js';

/**
 * The attachment work of `AttachmentsController` (./attachments-controller.ts), in its own chunk: imported on the
 * first file attached.
 */

/** How much of an image is read to find its dimensions (a JPEG's frame header may follow large EXIF data). */
const HEADER_BYTES = 256 * 1024;

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

/** Checks files against the controller's items, adds the accepted ones and starts their checks and uploads. */
export function addFiles(ctl: AttachmentsController, files: readonly File[]): void {
  const refused: string[] = [];
  for (const file of files) {
    const type = formatOf(file);
    const count = (kind: Attachment['kind']) => ctl.items.filter((a) => a.kind === kind).length;
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
      const taken = new Set(ctl.items.filter((a) => a.kind === 'document').map((a) => a.name));
      const item: Attachment = { id: randomId(), file, ...type, name: uniqueDocumentName(documentName(file.name), taken), state: 'uploading' };
      ctl.items = [...ctl.items, item];
      ctl.checks = ctl.checks.then(() => check(ctl, item)).then((ok) => { if (ok) void upload(ctl, item); });
    }
  }
  if (refused.length) ctl.options.onReject(refused.join(' '));
  ctl.host.requestUpdate();
}

/** An image may be uploaded once its header says it is at most 8,000 px wide and high; it is refused otherwise. */
async function check(ctl: AttachmentsController, item: Attachment): Promise<boolean> {
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
      ctl.remove(item.id);
      ctl.options.onReject(msg(str`${name} is ${width} × ${height} px: an image can be at most ${MAX_IMAGE_PIXELS} px wide and high.`));
      return false;
    }
  }
  return ctl.items.includes(item);
}

/** The presigned upload of one file; its state says how it went. */
async function upload(ctl: AttachmentsController, item: Attachment): Promise<void> {
  try {
    const base = ctl.options.restApiUrl();
    if (!base) throw new Error('no restApiUrl');
    const token = await ctl.options.token();
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
    if (ctl.items.includes(item)) ctl.options.onReject(msg(str`${item.file.name} could not be uploaded. Remove it and try again.`));
  }
  ctl.items = [...ctl.items];
  ctl.host.requestUpdate();
}
