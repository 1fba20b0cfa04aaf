/**
 * Long answers in parts: no stored item may pass DynamoDB's item size limit, 400 KB, attribute names included
 * ("The maximum item size in DynamoDB is 400 KB, which includes both attribute name binary length (UTF-8 length) and
 * attribute value lengths (again binary length)": https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html#limits-items).
 * A message item (the head) keeps at most HEAD_TEXT_BYTES of its last text block and of its reasoning; the rest goes
 * into part items `CONV#<c>#MSG#<m>#PART#<nnnnnn>` of at most PART_TEXT_BYTES of text each, in order. A `continue`
 * appends parts and updates only the head's small attributes (docs/architecture.md, "Long answers in parts").
 */

/** DynamoDB's item size limit in bytes (1 KB = 1,024 bytes: the Constraints page above). */
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * Text (UTF-8 bytes) kept in a message item's last text block and in its reasoning, each. An UpdateItem is charged on
 * the larger of the item's sizes before and after the update (capacity unit consumption for write operations:
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html#write-operation-consumption),
 * so a small head keeps feedback, continue and the other head updates cheap however long the answer is.
 */
export const HEAD_TEXT_BYTES = 32 * 1024;

/**
 * Text (UTF-8 bytes) of one part. A part item carries its text, the text's search form (at most as long, plus
 * SEARCH_OVERLAP characters) and a few short attributes: about 2 x 96 KB + 1 KB, well under MAX_ITEM_BYTES.
 */
export const PART_TEXT_BYTES = 96 * 1024;

/**
 * Characters of the preceding text's search form repeated at the start of a part's search text, so a phrase that
 * straddles two parts is still found: search queries are at most 100 characters (`GET /search`, `q`).
 */
export const SEARCH_OVERLAP = 100;

export type PartField = 'text' | 'reasoning';

export interface PartChunk {
  readonly field: PartField;
  readonly chunk: string;
}

/** UTF-8 length of a string. */
export function utf8Bytes(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

/**
 * Splits `text` into the longest prefix of at most `maxBytes` UTF-8 bytes and the rest, never inside a code point
 * (a surrogate pair stays whole).
 */
export function cutUtf8(text: string, maxBytes: number): [string, string] {
  if (utf8Bytes(text) <= maxBytes) return [text, ''];
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.codePointAt(i)!;
    const width = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (bytes + width > maxBytes) break;
    bytes += width;
    i += code >= 0x10000 ? 2 : 1;
  }
  return [text.slice(0, i), text.slice(i)];
}

/** `text` in chunks of at most `maxBytes` UTF-8 bytes each (none empty). */
export function chunksOf(text: string, maxBytes = PART_TEXT_BYTES): string[] {
  const chunks: string[] = [];
  let rest = text;
  while (rest.length) {
    const [head, tail] = cutUtf8(rest, maxBytes);
    chunks.push(head);
    rest = tail;
  }
  return chunks;
}

/** How many digits the sequence number at the end of a part's sort key has. */
export const PART_SEQ_DIGITS = 6;

/** The sort key of part `seq` (1-based) of a message: zero-padded, so parts sort in order after their message. */
export function partSuffix(seq: number): string {
  return `#PART#${String(seq).padStart(PART_SEQ_DIGITS, '0')}`;
}

/**
 * Estimated stored size of an item, by the rules of https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html:
 * names and strings in UTF-8 bytes, numbers 1 byte per two significant digits plus 1, null and booleans 1, lists and
 * maps 3 bytes plus 1 per element. Numbers are rounded up (21 bytes at most: 38 digits), so this never underestimates.
 */
export function itemBytes(item: Record<string, unknown>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    total += utf8Bytes(name) + valueBytes(value);
  }
  return total;
}

function valueBytes(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return utf8Bytes(value);
  if (typeof value === 'number') return Math.min(21, Math.ceil(String(Math.abs(value)).replace(/[.e+-]/g, '').length / 2) + 1);
  if (Array.isArray(value)) return 3 + value.reduce((n: number, v) => n + 1 + valueBytes(v), 0);
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value === 'object') {
    let n = 3;
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      n += 1 + utf8Bytes(k) + valueBytes(v);
    }
    return n;
  }
  return utf8Bytes(String(value));
}
