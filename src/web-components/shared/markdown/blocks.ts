/**
 * Block structure of markdown, line by line. A `BlockSplitter` is fed complete lines once each and emits a block
 * as soon as a later line shows that it is complete; the block still open is available as `open`.
 * Supported: paragraphs, ATX headings, fenced code, bullet and ordered lists (nesting by indentation),
 * blockquotes, GFM tables and thematic breaks, and with math on, display formulas (`$$` or `\[` starting a line,
 * up to a line ending with `$$` or `\]`). Not supported (shown as paragraphs): setext headings, indented code, link
 * reference definitions, HTML blocks (raw HTML is always text).
 */
export type BlockKind = 'p' | 'h' | 'code' | 'hr' | 'quote' | 'list' | 'table' | 'math';

export interface BlockOptions {
  /** Display formulas are blocks of their own (`<bedrock-chat math>`). */
  readonly math?: boolean;
}

export interface Block {
  readonly kind: BlockKind;
  /** The raw source lines of the block (tabs in the indentation expanded). */
  readonly lines: readonly string[];
}

export interface Fence {
  readonly char: string;
  readonly len: number;
  readonly indent: number;
  readonly info: string;
}

const BLANK = /^[ \t]*$/;
const FENCE = /^( {0,3})(`{3,}|~{3,})[ \t]*(.*)$/;
export const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const HR = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const QUOTE = /^ {0,3}>/;
export const LIST_ITEM = /^( *)([-+*]|(\d{1,9})[.)])([ \t]+|$)/;
const DELIMITER = /^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const MATH_OPEN = /^ {0,3}(\$\$|\\\[)(.*)$/;

export const isBlank = (line: string): boolean => BLANK.test(line);
export const indentOf = (line: string): number => /^ */.exec(line)![0].length;

/** The fence opened by this line, if it opens one. */
export function fenceOf(line: string): Fence | undefined {
  const m = FENCE.exec(line);
  if (!m || (m[2][0] === '`' && m[3].includes('`'))) return undefined;
  return { char: m[2][0], len: m[2].length, indent: m[1].length, info: m[3].trim() };
}

/**
 * The display formula opened by this line, if it opens one: its closing delimiter and whether the line closes it too.
 * A line with more after the closing delimiter (`$$a$$ is…`) is a paragraph (with an inline display formula).
 */
export function mathOf(line: string): { close: string; closed: boolean } | undefined {
  const m = MATH_OPEN.exec(line);
  if (!m) return undefined;
  const close = m[1] === '$$' ? '$$' : '\\]';
  const rest = m[2].trimEnd();
  const at = rest.indexOf(close);
  if (at >= 0 && at !== rest.length - close.length) return undefined;
  return { close, closed: at >= 0 };
}

/** Whether this line closes the fence. */
export function closes(line: string, fence: Fence): boolean {
  const m = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
  return !!m && m[1][0] === fence.char && m[1].length >= fence.len;
}

/** The cells of a table row: split on unescaped pipes, outer pipes optional, `\|` kept as a pipe. */
export function cells(line: string): string[] {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  return row.split(/(?<!\\)\|/).map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

/** `-`, `+`, `*`, or the delimiter of an ordered item (`.` or `)`). */
const markerOf = (line: string): string => LIST_ITEM.exec(line)![2].slice(-1);

const isDelimiterRow = (line: string): boolean => line.includes('|') && DELIMITER.test(line);

/** Whether a line starts a block that ends a paragraph (or a lazy continuation). */
function interrupts(line: string, math: boolean): boolean {
  if (FENCE.test(line) || HEADING.test(line) || HR.test(line) || QUOTE.test(line) || (math && !!mathOf(line))) return true;
  const item = LIST_ITEM.exec(line);
  // Like CommonMark: only a non-empty item, and an ordered one only when it starts at 1, interrupts a paragraph.
  return !!item && indentOf(line) < 4 && !!item[4] && !isBlank(line.slice(item[0].length)) && (!item[3] || +item[3] === 1);
}

export class BlockSplitter {
  private kind?: BlockKind;
  private lines: string[] = [];
  private fence?: Fence;
  /** For lists: lines indented at least this much belong to the list. */
  private listIndent = 0;
  /** For lists: the bullet character or the ordered delimiter; another one starts a new list. */
  private listMarker = '';
  /** For display formulas: the closing delimiter. */
  private mathClose = '';
  private readonly math: boolean;

  constructor(private readonly emit: (block: Block) => void, options: BlockOptions = {}) {
    this.math = !!options.math;
  }

  /** The block still open (it may grow or end with the next line), if any. */
  get open(): Block | undefined {
    return this.kind ? { kind: this.kind, lines: this.lines } : undefined;
  }

  /** Feeds one complete line (without its line break). */
  push(raw: string): void {
    const line = raw.replace(/\r$/, '').replace(/^[ \t]+/, (ws) => ws.replace(/\t/g, '    '));
    if (this.kind && this.continues(line)) return;
    this.close();
    this.begin(line);
  }

  /** Ends the input: the open block is emitted. */
  flush(): void {
    this.close();
  }

  private begin(line: string): void {
    if (isBlank(line)) return;
    this.lines = [line];
    const fence = fenceOf(line);
    const math = this.math ? mathOf(line) : undefined;
    if (fence) {
      this.kind = 'code';
      this.fence = fence;
    } else if (math) {
      this.kind = 'math';
      this.mathClose = math.close;
      if (math.closed) this.close();
    } else if (HEADING.test(line)) {
      this.kind = 'h';
      this.close();
    } else if (HR.test(line)) {
      this.kind = 'hr';
      this.close();
    } else if (QUOTE.test(line)) {
      this.kind = 'quote';
    } else if (LIST_ITEM.test(line)) {
      this.kind = 'list';
      this.fence = undefined;
      this.listIndent = indentOf(line) + 2;
      this.listMarker = markerOf(line);
    } else {
      this.kind = 'p';
    }
  }

  /** Whether the line belongs to the open block (then it is added, and the block may close). */
  private continues(line: string): boolean {
    const blank = isBlank(line);
    const last = this.lines[this.lines.length - 1];
    switch (this.kind) {
      case 'code':
        this.lines.push(line);
        if (closes(line, this.fence!)) this.close();
        return true;
      case 'math':
        // A blank line ends an unclosed formula (TeX does not allow one inside).
        if (blank) return false;
        this.lines.push(line);
        if (line.trimEnd().endsWith(this.mathClose)) this.close();
        return true;
      case 'p':
        if (blank) return false;
        if (isDelimiterRow(line) && cells(last).length === cells(line).length) {
          // The paragraph's last line is a table header: what came before is a finished paragraph.
          const header = this.lines.pop()!;
          if (this.lines.length) this.emit({ kind: 'p', lines: this.lines });
          this.kind = 'table';
          this.lines = [header, line];
          return true;
        }
        if (interrupts(line, this.math)) return false;
        break;
      case 'quote':
        if (!QUOTE.test(line) && (blank || isBlank(last.replace(QUOTE, '')) || interrupts(line, this.math))) return false;
        break;
      case 'table':
        if (blank || !line.includes('|') || interrupts(line, this.math)) return false;
        break;
      case 'list': {
        const indent = indentOf(line);
        if (this.fence) {
          if (closes(line.trimStart(), this.fence)) this.fence = undefined;
        } else if (!blank) {
          const item = LIST_ITEM.test(line) && !HR.test(line);
          if (indent < this.listIndent && (item ? markerOf(line) !== this.listMarker : isBlank(last) || interrupts(line, this.math))) return false;
          this.fence = fenceOf(line.trimStart());
        }
        break;
      }
      default:
        return false;
    }
    this.lines.push(line);
    return true;
  }

  private close(): void {
    if (!this.kind) return;
    const lines = this.lines;
    while (lines.length > 1 && isBlank(lines[lines.length - 1])) lines.pop();
    const block: Block = { kind: this.kind, lines };
    this.kind = undefined;
    this.lines = [];
    this.fence = undefined;
    this.emit(block);
  }
}

/** All blocks of a complete text (used for the open block and for nested content). */
export function parseBlocks(lines: readonly string[], options: BlockOptions = {}): Block[] {
  const blocks: Block[] = [];
  const splitter = new BlockSplitter((block) => blocks.push(block), options);
  for (const line of lines) splitter.push(line);
  splitter.flush();
  return blocks;
}
