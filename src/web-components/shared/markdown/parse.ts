/**
 * Markdown to a syntax tree: commonmark.js (the CommonMark reference implementation, 0.31.2: block structure,
 * inlines, link reference definitions, entities) with the GFM extensions added on its tree: tables, task list
 * items, strikethrough (`~x~`, `~~x~~`), extended autolinks (`www.`, `http(s)://`, e-mail addresses), footnotes, and
 * with math on, formulas (`$…$`, `\(…\)`, `$$…$$`, `\[…\]`). The tree is only ever turned into DOM by render.ts
 * (createElement and text nodes): raw HTML nodes are kept as text there.
 */
import { Node, Parser } from './commonmark.js';

/** A tree node: commonmark.js's, plus the fields the extensions add. */
export type MdNode = Node & {
  /** Table: column alignments; row: `th` for the header; list item: task state. */
  align?: string[];
  header?: boolean;
  task?: 'checked' | 'unchecked';
  /** Footnote definition or reference: the label; math: display or not. */
  label?: string;
  display?: boolean;
  /** Text that came from an escape or an entity (never a delimiter). */
  raw?: boolean;
  /** Link, image: its markdown source (shown as text when its URL is refused). */
  source?: string;
  /** A block cut from a paragraph (or one that began with definitions): the line where that paragraph began. */
  origin?: number;
};

interface Internals {
  doc: MdNode;
  tip: MdNode | null;
  refmap: Record<string, unknown>;
  lineNumber: number;
  lastLineLength: number;
  offset: number;
  column: number;
  lastMatchedContainer: MdNode;
  currentLine: string;
  blocks: Record<string, { finalize: (parser: Internals, block: MdNode) => void }>;
  blockStarts: Array<(parser: Internals, container: MdNode) => number>;
  nextNonspace: number;
  indented: boolean;
  inlineParser: InlineInternals;
  incorporateLine(line: string): void;
  finalize(block: MdNode, line: number): void;
  advanceNextNonspace(): void;
}

interface InlineInternals {
  subject: string;
  pos: number;
  refmap: Record<string, unknown>;
  brackets: { index: number; image: boolean } | null;
  parse(block: MdNode): void;
  parseInline(block: MdNode): boolean;
  parseBackslash(block: MdNode): boolean;
  parseEntity(block: MdNode): boolean;
  parseReference(s: string, refmap: Record<string, unknown>): number;
  parseLinkDestination(): string | null;
  parseCloseBracket(block: MdNode): boolean;
  parseAutolink(block: MdNode): boolean;
  parseString(block: MdNode): boolean;
}

type Content = MdNode & { _string_content: string | null; _literal: string | null };

export interface ParseOptions {
  readonly math?: boolean;
}

export interface Parsed {
  readonly doc: MdNode;
  readonly definitions: Definitions;
  /** The definitions known before the parse (its prototype) and those it found. */
  readonly refmap: Record<string, unknown>;
}

/** Link reference definitions found in a parse: those of each paragraph, with the line it started on (1-based). */
export interface Definitions {
  readonly refs: Array<{ readonly line: number; readonly map: Record<string, unknown> }>;
  readonly footnotes: MdNode[];
}

const DELIMITER_ROW = /^\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$/;
const FOOTNOTE_DEF = /^\[\^([^\]\s]{1,64})\]:[ \t]*/;
const MATH_OPEN = /^(\$\$|\\\[)/;
const MAX_DEPTH = 32;
/** Inline nodes nest at most this deep for the GFM extensions and the renderer (deeper: plain text). */
export const MAX_INLINE_DEPTH = 64;

/** The cells of a table row: split on unescaped pipes (not inside code spans), outer pipes optional. */
export function cells(line: string): string[] {
  let row = line.trim();
  if (row.startsWith('|')) row = row.slice(1);
  if (row.endsWith('|') && !row.endsWith('\\|')) row = row.slice(0, -1);
  const out: string[] = [];
  let cell = '';
  for (let i = 0; i < row.length; i++) {
    const c = row[i];
    if (c === '\\' && row[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (c === '|') {
      out.push(cell.trim());
      cell = '';
    } else {
      cell += c;
    }
  }
  out.push(cell.trim());
  return out;
}

const isDelimiterRow = (line: string) => line.includes('|') || line.includes(':') ? DELIMITER_ROW.test(line) : false;

function node(type: string, line: number): MdNode {
  return new Node(type, [[line, 1], [line, 0]]) as MdNode;
}

/**
 * One parser per stream (or per one-shot render). `parse` gives the block tree of some lines with their inlines
 * still unparsed; `inlines` parses the inlines of one block of that tree (done when the block is rendered).
 */
export class MarkdownParser {
  private readonly p: Internals;
  private readonly math: boolean;
  private defs: Definitions = { refs: [], footnotes: [] };
  private lineOffset = 0;

  constructor(options: ParseOptions = {}) {
    this.math = !!options.math;
    this.p = new Parser() as unknown as Internals;
    const p = this.p;
    // A GFM delimiter row under a paragraph line stays in the paragraph (the table is cut out when it is finalized),
    // also when it starts like a list item or a thematic break (`- | -`, `---|---`).
    // Containers nest at most 32 deep (quotes and list items): deeper markers are text of the innermost one, so that
    // a line of 64 K `>` neither builds a 64 K deep tree nor overflows a recursive walk.
    const depth = (n: MdNode) => {
      let d = 0;
      for (let c: MdNode | null = n; c && d <= MAX_DEPTH; c = c.parent as MdNode | null) d++;
      return d;
    };
    p.blockStarts = [(parser, container) => {
      if (depth(container) <= MAX_DEPTH) return 0;
      parser.advanceNextNonspace();
      return 2;
    }, (parser, container) => {
      if (container.type !== 'paragraph' || parser.indented) return 0;
      const rest = parser.currentLine.slice(parser.nextNonspace);
      if (!rest.includes('|') || !DELIMITER_ROW.test(rest)) return 0;
      parser.advanceNextNonspace();
      return 2;
    }, ...p.blockStarts];
    // Paragraphs (and so tables, footnote definitions and display formulas) are worked out when the document is
    // finalized, like the link reference definitions they replace.
    const documentBlock = { ...p.blocks.document, finalize: (_parser: Internals, doc: MdNode) => this.paragraphs(doc) };
    p.blocks = { ...p.blocks, document: documentBlock };
    const inline = p.inlineParser;
    const parseBackslash = inline.parseBackslash;
    const parseEntity = inline.parseEntity;
    const parseInline = inline.parseInline;
    const parseLinkDestination = inline.parseLinkDestination;
    const parseCloseBracket = inline.parseCloseBracket;
    const parseAutolink = inline.parseAutolink;
    const parseString = inline.parseString;
    // Links and images keep their source: a refused URL shows the syntax as typed.
    inline.parseCloseBracket = function (block) {
      const opener = this.brackets;
      const ok = parseCloseBracket.call(this, block);
      const last = block.lastChild as MdNode | null;
      if (opener && last && (last.type === 'link' || last.type === 'image') && last.source === undefined) {
        last.source = this.subject.slice(opener.index - (opener.image ? 1 : 0), this.pos);
      }
      return ok;
    };
    inline.parseAutolink = function (block) {
      const start = this.pos;
      const ok = parseAutolink.call(this, block);
      if (ok) (block.lastChild as MdNode).source = this.subject.slice(start, this.pos);
      return ok;
    };
    // With math on, a run of text ends before a `$` (commonmark.js's runs include it), so that a formula can start.
    inline.parseString = function (block) {
      const start = this.pos;
      const ok = parseString.call(this, block);
      const last = block.lastChild as MdNode | null;
      const at = math && ok && last?.type === 'text' ? (last.literal ?? '').indexOf('$', 1) : -1;
      if (at > 0 && this.subject.slice(start, start + at) === (last!.literal ?? '').slice(0, at)) {
        last!.literal = (last!.literal ?? '').slice(0, at);
        this.pos = start + at;
      }
      return ok;
    };
    // A destination nests at most 32 parentheses (the spec allows a limit): without one, `[a](` repeated scans to
    // the end of the paragraph from every `](`, quadratic.
    inline.parseLinkDestination = function () {
      const src = this.subject;
      if (src[this.pos] !== '<') {
        let open = 0;
        for (let i = this.pos; i < src.length; i++) {
          const c = src[i];
          if (c === '\\') i++;
          else if (c === '(' && ++open > 32) return null;
          else if (c === ')' && --open < 0) break;
          else if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f') break;
        }
      }
      return parseLinkDestination.call(this);
    };
    const mark = (block: MdNode, done: boolean) => {
      const last = block.lastChild as MdNode | null;
      if (last?.type === 'text') last.raw = true;
      return done;
    };
    inline.parseBackslash = function (block) {
      if (math && (this.subject[this.pos + 1] === '(' || this.subject[this.pos + 1] === '[') && mathAt(this, block)) return true;
      return mark(block, parseBackslash.call(this, block));
    };
    inline.parseEntity = function (block) {
      return mark(block, parseEntity.call(this, block));
    };
    const math = this.math;
    const failed = new Set<string>();
    inline.parseInline = function (block) {
      if (this.pos === 0) failed.clear();
      if (math && this.subject[this.pos] === '$' && mathAt(this, block)) return true;
      return parseInline.call(this, block);
    };
    /** `$…$`, `$$…$$`, `\(…\)`, `\[…\]` at the position: a math node (like Pandoc for `$`; see inline math rules). */
    function mathAt(state: InlineInternals, block: MdNode): boolean {
      const src = state.subject;
      const i = state.pos;
      const two = src.slice(i, i + 2);
      const close = two === '$$' ? '$$' : two === '\\(' ? '\\)' : two === '\\[' ? '\\]' : '';
      let end = -1;
      let tex = '';
      if (close) {
        if (failed.has(two)) return false;
        end = src.indexOf(close, i + 2);
        if (end < 0) {
          failed.add(two);
          return false;
        }
        tex = src.slice(i + 2, end);
        end += 2;
        if (!tex.trim()) return false;
      } else {
        if (failed.has('$') || /\s/.test(src[i + 1] ?? ' ')) return false;
        for (let j = i + 1; j < src.length; j++) {
          if (src[j] === '\\') {
            j++;
          } else if (src[j] === '$') {
            if (/\s/.test(src[j - 1]) || /\d/.test(src[j + 1] ?? '')) return false;
            end = j + 1;
            tex = src.slice(i + 1, j);
            break;
          }
        }
        if (end < 0) {
          failed.add('$');
          return false;
        }
      }
      const m = node('math', 0);
      m.literal = tex;
      m.display = close !== '' && close !== '\\)';
      m.info = src.slice(i, end);
      block.appendChild(m);
      state.pos = end;
      return true;
    }
  }

  /**
   * The block tree of `lines` (complete lines, the last one may be partial), numbered from `firstLine` (1-based) in
   * `sourcepos`; `refmap` holds the definitions known before (it is not changed: new ones are in `definitions`).
   */
  parse(lines: readonly string[], firstLine: number, refmap: Record<string, unknown>): Parsed {
    const p = this.p;
    this.defs = { refs: [], footnotes: [] };
    this.lineOffset = firstLine - 1;
    const own = Object.create(refmap) as Record<string, unknown>;
    p.doc = node('document', 1);
    p.tip = p.doc;
    p.refmap = own;
    p.lineNumber = 0;
    p.lastLineLength = 0;
    p.offset = 0;
    p.column = 0;
    p.lastMatchedContainer = p.doc;
    p.currentLine = '';
    for (const line of lines) p.incorporateLine(line);
    while (p.tip) p.finalize(p.tip, lines.length);
    if (this.lineOffset) shift(p.doc, this.lineOffset);
    // Definitions taken by a setext heading (commonmark.js reads them when the underline comes): final with it.
    const recorded = new Set(this.defs.refs.flatMap((r) => Object.keys(r.map)));
    const setext = Object.keys(own).filter((k) => !recorded.has(k));
    if (setext.length) this.defs.refs.unshift({ line: 0, map: Object.fromEntries(setext.map((k) => [k, own[k]])) });
    return { doc: p.doc, definitions: this.defs, refmap: own };
  }

  /** Parses the inlines of a block and its descendants, resolving references with `refmap`. */
  inlines(block: MdNode, refmap: Record<string, unknown>): void {
    const inline = this.p.inlineParser;
    inline.refmap = refmap;
    const walk = (n: MdNode) => {
      const t = n.type;
      if (t === 'paragraph' || t === 'heading' || t === 'table_cell') {
        if ((n as Content)._string_content !== null) inline.parse(n);
        extend(n);
        return;
      }
      for (let c = n.firstChild as MdNode | null; c; c = c.next as MdNode | null) walk(c);
      if (t === 'item') taskOf(n);
    };
    walk(block);
  }

  /** Replaces the document's finalize: footnote and link reference definitions, tables and display formulas. */
  private paragraphs(doc: MdNode): void {
    const found: MdNode[] = [];
    const walk = (n: MdNode) => {
      for (let c = n.firstChild as MdNode | null; c; c = c.next as MdNode | null) {
        if (c.type === 'paragraph') found.push(c);
        else if (c.firstChild) walk(c);
      }
    };
    walk(doc);
    for (const para of found) this.paragraph(para as Content);
  }

  private paragraph(para: Content): void {
    const p = this.p;
    const line = para.sourcepos[0][0];
    let content = para._string_content ?? '';
    let base = line;
    const map = Object.create(p.refmap) as Record<string, unknown>;
    const consumed = (n: number) => {
      base += content.slice(0, n).split('\n').length - 1;
      content = content.slice(n);
    };
    // Definitions at its start: footnotes (`[^label]: text`, with its lazy continuation lines) and link references.
    for (;;) {
      const fn = FOOTNOTE_DEF.exec(content);
      if (fn) {
        const rest = content.slice(fn[0].length);
        const end = rest.search(/\n\[/);
        const def = node('footnote_def', base + this.lineOffset);
        def.label = fn[1].toLowerCase();
        const body = node('paragraph', base) as Content;
        body._string_content = end < 0 ? rest : rest.slice(0, end);
        def.appendChild(body);
        this.defs.footnotes.push(def);
        consumed(end < 0 ? content.length : fn[0].length + end + 1);
        continue;
      }
      if (content[0] !== '[') break;
      const pos = p.inlineParser.parseReference(content, map);
      if (!pos) break;
      consumed(pos);
    }
    const keys = Object.keys(map);
    if (keys.length) {
      for (const k of keys) if (!(k in p.refmap)) p.refmap[k] = map[k];
      this.defs.refs.push({ line: line + this.lineOffset, map });
    }
    if (isBlankText(content)) {
      para.unlink(); // only definitions
      return;
    }
    const lines = content.replace(/\n$/, '').split('\n');
    // Display formulas (math on) and a table cut the rest into pieces: paragraph, formula, paragraph, table; each
    // starts on its own source line (the stream commits a block only when the next one starts two lines back).
    const pieces: MdNode[] = [];
    let text: string[] = [];
    let textLine = base;
    const flush = () => {
      if (!text.length) return;
      const n = node('paragraph', textLine) as Content;
      n._string_content = text.join('\n');
      pieces.push(n);
      text = [];
    };
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i];
      if (!text.length) textLine = base + i;
      const open = this.math ? MATH_OPEN.exec(l) : null;
      if (open) {
        const close = open[1] === '$$' ? '$$' : '\\]';
        const rest = l.slice(2).trimEnd();
        const inFirst = rest.indexOf(close);
        let j = i;
        if (inFirst < 0) while (j + 1 < lines.length && !lines[j + 1].trimEnd().endsWith(close)) j++;
        const oneLine = inFirst >= 0 && inFirst === rest.length - close.length;
        if (oneLine || (inFirst < 0 && j + 1 < lines.length)) {
          if (!oneLine) j++;
          flush();
          const body = [l.slice(2), ...lines.slice(i + 1, j + 1)].join('\n').trimEnd();
          const m = node('math_block', base + i);
          m.literal = body.slice(0, -close.length);
          m.info = lines.slice(i, j + 1).join('\n');
          pieces.push(m);
          i = j;
          continue;
        }
      }
      if (text.length && isDelimiterRow(l) && cells(text[text.length - 1]).length === cells(l).length) {
        const header = text.pop()!;
        flush();
        pieces.push(this.table(header, l, lines.slice(i + 1), base + i - 1));
        break;
      }
      text.push(l);
    }
    flush();
    if (pieces.length === 1 && pieces[0].type === 'paragraph') {
      para._string_content = (pieces[0] as Content)._string_content;
      para.sourcepos[0][0] = pieces[0].sourcepos[0][0];
      if (para.sourcepos[0][0] !== line) para.origin = line;
      return;
    }
    let at: MdNode = para;
    for (const n of pieces) {
      n.origin = line;
      n.sourcepos[1] = [...para.sourcepos[1]];
      at.insertAfter(n);
      at = n;
    }
    para.unlink();
  }

  private table(header: string, delimiter: string, rows: string[], line: number): MdNode {
    const table = node('table', line);
    const align = cells(delimiter).map((d) => (d.endsWith(':') ? (d.startsWith(':') ? 'center' : 'right') : d.startsWith(':') ? 'left' : ''));
    table.align = align;
    const row = (source: string, head: boolean) => {
      const tr = node('table_row', line);
      tr.header = head;
      const values = cells(source);
      align.forEach((_, i) => {
        const cell = node('table_cell', line) as Content;
        cell._string_content = values[i] ?? '';
        tr.appendChild(cell);
      });
      table.appendChild(tr);
    };
    row(header, true);
    for (const r of rows) row(r, false);
    return table;
  }
}

const isBlankText = (s: string) => /^[ \t\n]*$/.test(s);

function shift(n: MdNode, by: number): void {
  for (let c = n.firstChild as MdNode | null; c; c = c.next as MdNode | null) {
    c.sourcepos[0][0] += by;
    c.sourcepos[1][0] += by;
    if (c.origin !== undefined) c.origin += by;
    if (c.firstChild) shift(c, by);
  }
}

/** `[ ]` or `[x]` at the start of a list item's first paragraph: a task. */
function taskOf(item: MdNode): void {
  const para = item.firstChild as MdNode | null;
  const text = para?.type === 'paragraph' ? (para.firstChild as MdNode | null) : null;
  if (!text || text.type !== 'text' || text.raw) return;
  // commonmark.js gives `[`, ` ` / `x`, `]` as separate text nodes (brackets are link openers).
  let s = '';
  const parts: MdNode[] = [];
  for (let t: MdNode | null = text; t && t.type === 'text' && s.length < 4; t = t.next as MdNode | null) {
    s += t.literal;
    parts.push(t);
  }
  const m = /^\[([ xX])\](?:[ \t]|$)/.exec(s);
  if (!m) return;
  item.task = m[1] === ' ' ? 'unchecked' : 'checked';
  let drop = m[0].length;
  for (const t of parts) {
    const lit = t.literal ?? '';
    if (drop >= lit.length) {
      drop -= lit.length;
      t.unlink();
    } else {
      t.literal = lit.slice(drop);
      break;
    }
  }
}

/** GFM inline extensions on a parsed block: merged text runs, footnote references, strikethrough, autolinks. */
function extend(block: MdNode, depth = 0): void {
  if (depth > MAX_INLINE_DEPTH) return;
  for (let c = block.firstChild as MdNode | null; c; c = c.next as MdNode | null) {
    if (c.firstChild && c.type !== 'link' && c.type !== 'image') extend(c, depth + 1);
  }
  mergeText(block);
  if (block.type !== 'link') footnoteRefs(block);
  strike(block);
  if (block.type !== 'link' && block.type !== 'image') for (let c = block.firstChild as MdNode | null; c; c = c.next as MdNode | null) if (c.type === 'text' && !c.raw) c = autolink(c);
}

function mergeText(block: MdNode): void {
  for (let c = block.firstChild as MdNode | null; c;) {
    const next = c.next as MdNode | null;
    if (next && c.type === 'text' && next.type === 'text' && !c.raw && !next.raw) {
      c.literal = (c.literal ?? '') + (next.literal ?? '');
      next.unlink();
    } else {
      c = next;
    }
  }
}

/** Splits text node `t` at [from, to) into its own node (returned), with `type`. */
function cut(t: MdNode, from: number, to: number, type: string): MdNode {
  const lit = t.literal ?? '';
  const mid = node(type, 0);
  if (type === 'text') mid.literal = lit.slice(from, to);
  if (to < lit.length) {
    const after = node('text', 0);
    after.literal = lit.slice(to);
    t.insertAfter(after);
  }
  t.insertAfter(mid);
  t.literal = lit.slice(0, from);
  if (!from) t.unlink();
  return mid;
}

function footnoteRefs(block: MdNode): void {
  for (let c = block.firstChild as MdNode | null; c; c = c.next as MdNode | null) {
    if (c.type !== 'text' || c.raw) continue;
    const m = /\[\^([^\]\s]{1,64})\]/.exec(c.literal ?? '');
    if (!m) continue;
    const ref = cut(c, m.index, m.index + m[0].length, 'footnote_ref');
    ref.label = m[1].toLowerCase();
    ref.literal = m[0];
    c = ref;
  }
}

const SPACE = /[\s\u00a0]/;
const PUNCTUATION = /[\p{P}\p{S}]/u;

/** `~x~` and `~~x~~` (GFM): runs of one or two tildes, left-flanking to open, right-flanking to close, same length. */
function strike(block: MdNode): void {
  const openers: MdNode[] = [];
  for (let c = block.firstChild as MdNode | null; c; c = c.next as MdNode | null) {
    if (c.type !== 'text' || c.raw || !(c.literal ?? '').includes('~')) continue;
    const lit = c.literal ?? '';
    const m = /~+/.exec(lit)!;
    const n = m[0].length;
    const before = m.index > 0 ? lit[m.index - 1] : (c.prev ? 'a' : ' ');
    const afterAt = m.index + n;
    const after = afterAt < lit.length ? lit[afterAt] : (c.next ? 'a' : ' ');
    const run = cut(c, m.index, afterAt, 'text');
    c = run;
    if (n > 2) continue;
    const leftFlanking = !SPACE.test(after) && (!PUNCTUATION.test(after) || SPACE.test(before) || PUNCTUATION.test(before));
    const rightFlanking = !SPACE.test(before) && (!PUNCTUATION.test(before) || SPACE.test(after) || PUNCTUATION.test(after));
    let closed = false;
    if (rightFlanking) {
      for (let k = openers.length - 1; k >= 0; k--) {
        if ((openers[k].literal ?? '').length !== n) continue;
        const opener = openers[k];
        openers.length = k;
        const del = node('strikethrough', 0);
        opener.insertAfter(del);
        for (let x = del.next as MdNode | null; x && x !== run;) {
          const next = x.next as MdNode | null;
          del.appendChild(x);
          x = next;
        }
        opener.unlink();
        c = del;
        run.unlink();
        closed = true;
        break;
      }
    }
    if (!closed && leftFlanking) openers.push(run);
  }
  mergeText(block);
}

const AUTOLINK = /(^|[\s*_~(])((?:https?:\/\/|www\.)[\w-]+(?:\.[\w-]+)*[^\s<]*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)/i;

/** GFM extended autolinks in a text node; returns the last node it leaves (to continue after). */
function autolink(t: MdNode): MdNode {
  let c = t;
  for (;;) {
    const lit = c.literal ?? '';
    const m = AUTOLINK.exec(lit);
    if (!m) return c;
    let url = m[2];
    const email = !/^(?:https?:|www\.)/i.test(url);
    if (email) {
      if (/[-_]$/.test(url)) url = url.replace(/\.$/, '');
      url = url.replace(/\.+$/, '');
      if (/[-_]$/.test(url)) return c;
    } else {
      // Trailing punctuation and an unbalanced `)` are not part of the link; nor is `&name;` at its end.
      for (;;) {
        const before = url;
        url = url.replace(/[?!.,:*_~'"]+$/, '').replace(/&[a-z0-9]+;$/i, '');
        if (url.endsWith(')') && url.split('(').length < url.split(')').length) url = url.slice(0, -1);
        if (url === before) break;
      }
      const host = /^(?:https?:\/\/)?([^/?#]*)/i.exec(url)![1];
      if (!/\./.test(host) && /^www\./i.test(url)) return c;
      if (/_[^.]*\.[^.]*$/.test(host)) return c; // no underscore in the last two labels
    }
    const at = m.index + m[1].length;
    const link = cut(c, at, at + url.length, 'link');
    link.destination = email ? `mailto:${url}` : /^www\./i.test(url) ? `http://${url}` : url;
    const label = node('text', 0);
    label.literal = url;
    link.appendChild(label);
    const next = link.next as MdNode | null;
    if (!next || next.type !== 'text') return link;
    c = next;
  }
}
