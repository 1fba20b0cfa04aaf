import { msg, str } from '@lit/localize';
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import { ACCEPT } from './attachment-types.js';
import type { ContentBlock, DocumentFormat, ImageFormat } from './protocol.js';
import {
  FRAME_BUDGET_BYTES, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS_PER_MESSAGE, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGES_PER_MESSAGE, utf8Bytes,
} from '../../lambdas/core/limits.js';

/**
 * Bedrock's limits, defined once in core (src/lambdas/core/limits.ts, with their sources): per message at most 20
 * images (3.75 MB, 8,000 px per side) and 5 documents (4.5 MB). Checked here before anything is uploaded.
 */
export { ACCEPT, MAX_DOCUMENT_BYTES, MAX_DOCUMENTS_PER_MESSAGE, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MAX_IMAGES_PER_MESSAGE };

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

/**
 * Files attached to the next message: checked (type, size), uploaded at once through a presigned PUT
 * (`POST {restApiUrl}/uploads`, then `PUT url` with exactly the returned headers), and turned into content blocks.
 * The checks and the upload (./attachment-upload.ts, with the image header reader and the document name rule) are a
 * chunk of their own, imported on the first file attached: most chats never attach one.
 */
export class AttachmentsController implements ReactiveController {
  items: Attachment[] = [];
  /** Files handed to `add` whose checks have not started yet (the upload chunk is on its way). */
  private arriving = 0;
  private work?: Promise<typeof import('./attachment-upload.js')>;
  /** Checks run one after the other (an image's header is read first), so uploads start in the order attached. */
  checks: Promise<void> = Promise.resolve();

  constructor(readonly host: ReactiveControllerHost, readonly options: AttachmentsOptions) {
    host.addController(this);
  }

  hostConnected(): void {}

  /** Starts loading the upload chunk (the attach button was pressed, files are dragged over): files come next. */
  prepare(): Promise<typeof import('./attachment-upload.js')> {
    return (this.work ??= import('./attachment-upload.js').catch((err: unknown) => {
      this.work = undefined; // a later attempt may load it (network)
      throw err;
    }));
  }

  get busy(): boolean {
    return this.arriving > 0 || this.items.some((a) => a.state !== 'ready');
  }

  /**
   * Checks and uploads files; refused ones are reported through `onReject`, before anything is uploaded: the type,
   * the size for its kind, the number of images and documents per message, and an image's width and height (read
   * from its header).
   */
  add(files: Iterable<File>): void {
    const list = [...files];
    if (!list.length) return;
    this.arriving += list.length;
    this.host.requestUpdate();
    this.prepare().then((m) => {
      this.arriving -= list.length;
      m.addFiles(this, list);
    }, () => {
      this.arriving -= list.length;
      this.options.onReject(list.map((f) => msg(str`${f.name} could not be attached. Try again.`)).join(' '));
      this.host.requestUpdate();
    });
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
}
