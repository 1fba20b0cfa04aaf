/* eslint-disable no-bitwise */ // image headers are binary: widths and heights are read from bytes
import { documentNameProblem, imageProblem, imageSize, toDocumentName, uniqueDocumentName } from '../../src/lambdas/core/attachment-files';
import { FRAME_BUDGET_BYTES, MAX_DOCUMENT_BYTES, MAX_IMAGE_BYTES, utf8Bytes } from '../../src/lambdas/core/limits';

const hex = (h: string) => Buffer.from(h.replace(/\s+/g, ''), 'hex');
const u16be = (n: number) => Buffer.from([n >> 8, n & 255]);
const u16le = (n: number) => Buffer.from([n & 255, n >> 8]);
const u24le = (n: number) => Buffer.from([n & 255, (n >> 8) & 255, n >> 16]);

describe('imageSize reads the dimensions from the header', () => {
  test('PNG (IHDR)', () => {
    const b = Buffer.concat([hex('89504e470d0a1a0a 0000000d 49484452'), hex('00001f41'), hex('00000064'), hex('0806000000')]);
    expect(imageSize(b)).toEqual({ width: 8001, height: 100 });
  });
  test('GIF', () => {
    expect(imageSize(Buffer.concat([Buffer.from('GIF89a'), u16le(640), u16le(480), hex('f70000')]))).toEqual({ width: 640, height: 480 });
  });
  test('JPEG: skips APP segments to the first start-of-frame (baseline and progressive)', () => {
    const app0 = Buffer.concat([hex('ffe0'), u16be(16), Buffer.from('JFIF\0'), Buffer.alloc(9)]);
    const sof = (marker: string) => Buffer.concat([hex(`ff${marker}`), u16be(17), Buffer.from([8]), u16be(9000), u16be(1200), Buffer.alloc(10)]);
    expect(imageSize(Buffer.concat([hex('ffd8'), app0, sof('c0')]))).toEqual({ width: 1200, height: 9000 });
    expect(imageSize(Buffer.concat([hex('ffd8'), app0, hex('ffc4'), u16be(4), hex('0000'), sof('c2')]))).toEqual({ width: 1200, height: 9000 });
  });
  test('WebP: VP8X, VP8L and VP8 chunks', () => {
    const riff = (chunk: string, body: Buffer) => Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4), Buffer.from('WEBP'), Buffer.from(chunk), Buffer.alloc(4), body]);
    expect(imageSize(riff('VP8X', Buffer.concat([Buffer.alloc(4), u24le(8999), u24le(99), Buffer.alloc(4)])))).toEqual({ width: 9000, height: 100 });
    const bits = (300 - 1) | ((200 - 1) << 14);
    expect(imageSize(riff('VP8L', Buffer.concat([Buffer.from([0x2f]), Buffer.from([bits & 255, (bits >> 8) & 255, (bits >> 16) & 255, bits >>> 24]), Buffer.alloc(8)]))))
      .toEqual({ width: 300, height: 200 });
    expect(imageSize(riff('VP8 ', Buffer.concat([Buffer.alloc(3), hex('9d012a'), u16le(320), u16le(240), Buffer.alloc(4)])))).toEqual({ width: 320, height: 240 });
  });
  test('anything else, or a header cut short, is unknown', () => {
    expect(imageSize(Buffer.from('not an image at all, really not'))).toBeUndefined();
    expect(imageSize(hex('89504e47'))).toBeUndefined();
  });
});

test('imageProblem: bytes first, then pixels per side', () => {
  expect(imageProblem('pic.png', MAX_IMAGE_BYTES, { width: 8000, height: 8000 })).toBeUndefined();
  expect(imageProblem('pic.png', MAX_IMAGE_BYTES + 1, undefined)).toBe('pic.png is 3.75 MB; an image can be at most 3.75 MB');
  expect(imageProblem('pic.png', 10, { width: 8001, height: 2 })).toBe('pic.png is 8001 × 2 px; an image can be at most 8000 px wide and high');
  expect(MAX_DOCUMENT_BYTES).toBe(4_500_000);
});

test('document names: the characters Bedrock allows, no whitespace run', () => {
  expect(documentNameProblem('Q3 report (final) [v2]-draft')).toBeUndefined();
  expect(documentNameProblem('two  spaces')).toMatch(/two whitespace characters in a row/);
  expect(documentNameProblem('notes.txt')).toMatch(/only letters/);
  expect(documentNameProblem('')).toMatch(/1 to 200/);
  expect(toDocumentName('Résumé   final__v2.pdf')).toBe('Resume final v2');
  expect(toDocumentName('日本語.txt')).toBe('Document');
  expect(toDocumentName('a\t\tb', false)).toBe('a b');
  expect(uniqueDocumentName('notes', new Set(['notes', 'notes (2)']))).toBe('notes (3)');
});

test('utf8Bytes counts bytes, not characters (CJK 3 bytes, emoji 4)', () => {
  expect(utf8Bytes('abc')).toBe(3);
  expect(utf8Bytes('日本語')).toBe(9);
  expect(utf8Bytes('😀')).toBe(4);
  expect(utf8Bytes('あ'.repeat(20_000))).toBe(60_000);
  expect(FRAME_BUDGET_BYTES).toBeLessThan(32 * 1024);
});
