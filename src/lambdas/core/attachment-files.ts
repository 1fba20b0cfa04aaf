/* eslint-disable no-bitwise */ // image headers are binary: widths and heights are read from bytes
/**
 * What the upload route, the worker and the widget read from attached files: Bedrock's document name rule and an
 * image's dimensions from its header. The limits themselves, with their sources, are in ./limits.ts. A module of its
 * own so that the widget's attachment chunk carries it and the chat's first load does not.
 */
import { DOCUMENT_NAME_PATTERN, MAX_DOCUMENT_NAME_LENGTH, MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, mb } from './limits';

const DOCUMENT_NAME = new RegExp(DOCUMENT_NAME_PATTERN);

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
