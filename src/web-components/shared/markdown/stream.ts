import type { MarkdownParser, MdNode } from './parse.js';
import { render, renderFootnotes } from './render.js';
import type { Citation, RenderContext } from './render.js';

export interface MarkdownOptions {
  /** Formulas (`$…$`, `\(…\)`, `$$…$$`, `\[…\]`) become MathML; off: `$` is plain text. */
  readonly math?: boolean;
  /** The retrieved sources of the answer (`citation` frames): a footnote that matches one renders as that citation. */
  readonly citations?: () => readonly Citation[];
}

interface Live {
  readonly key: string;
  readonly nodes: ChildNode[];
  /** Rendered as a finished block would be (no code block to highlight, no footnote, the same definitions). */
  readonly reusable: boolean;
  readonly refs: number;
}

interface Committed {
  readonly nodes: ChildNode[];
  /** Source lines [first, end) (0-based). */
  readonly first: number;
  readonly end: number;
  /** Reference definitions and footnote numbers known when it was rendered; the footnote labels it references. */
  readonly refs: number;
  readonly labels: string[];
  readonly numbers: Array<number | undefined>;
}

type Engine = typeof import('./parse.js');
let engine: Engine | undefined;
let loading: Promise<Engine | undefined> | undefined;

/**
 * Loads the parser (commonmark.js, the GFM extensions and the entity table: its own chunk, started when this module
 * is imported, so it is there before the first answer); resolves undefined when the load failed (tried again later).
 */
export function loadParser(): Promise<Engine | undefined> {
  loading ??= import('./parse.js').then((m) => (engine = m), () => {
    loading = undefined;
    return undefined;
  });
  return loading;
}
void loadParser();

/** Below this many characters the open part is rendered on every delta; above, when it has grown by a quarter. */
const SMALL = 2048;

/**
 * Streaming markdown into an element. Text is fed in deltas; the part not yet final (the open tail: from the first
 * block that may still change to the end) is parsed on each update, and each top-level block that the text after it
 * makes final (the next block starts at least two lines before the unfinished last line: a GFM table looks one line
 * back) is rendered once, before the live blocks, and never parsed again. The one exception: a link reference or
 * footnote definition that arrives after a finished block that uses it; at `end()` such blocks are rendered once more
 * from their source, so that the final DOM equals a one-shot render of the text.
 * An open tail longer than 2 KB (a long list, a paragraph of 64 KB) is parsed again only when it has grown by a
 * quarter, which keeps the total work linear; a top-level fenced code block grows in place without a parse.
 */
export class MarkdownStream {
  readonly math: boolean;
  /** Characters handed to the parser so far (each finished block once; the open tail on each update). */
  parsedCharacters = 0;
  private parser?: MarkdownParser;
  /** The text so far, shown as it is while the parser loads. */
  private waiting?: HTMLElement;
  private readonly ctx: RenderContext;
  private readonly pending = new Set<Promise<void>>();
  private lines: string[] = [];
  private partial = '';
  /** First line (0-based) of the open tail. */
  private first = 0;
  private refs: Record<string, unknown> = {};
  private refCount = 0;
  private live: Live[] = [];
  private committed: Committed[] = [];
  private footer?: HTMLElement;
  private tailSize = 0;
  private grown = 0;
  /** The open top-level fenced code block, if the tail is one: its fence and its code element. */
  private fence?: { readonly char: string; readonly len: number; readonly code: HTMLElement; readonly start: number };
  private ended = false;

  constructor(readonly root: HTMLElement, options: MarkdownOptions = {}) {
    this.math = !!options.math;
    this.ctx = {
      math: this.math,
      later: (work) => {
        this.pending.add(work);
        void work.then(() => this.pending.delete(work));
      },
      footnotes: { defs: new Map(), numbers: new Map(), seen: [] },
      citations: options.citations ?? (() => []),
    };
    if (engine) {
      this.parser = new engine.MarkdownParser({ math: this.math });
    } else {
      // Until the parser's chunk arrives the text is shown as typed; then all of it is rendered at once.
      this.ctx.later(loadParser().then((m) => {
        if (!m) return;
        this.parser = new m.MarkdownParser({ math: this.math });
        this.waiting?.remove();
        this.waiting = undefined;
        if (this.ended) this.finish();
        else if (this.lines.length || this.partial) this.update(false);
      }));
    }
  }

  /** Resolves when every grammar and formula conversion started so far has been applied (or has failed). */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending);
  }

  /** Appends a delta of markdown source. */
  append(delta: string): void {
    if (this.ended || !delta) return;
    const parts = (this.partial + delta).split(/\r\n|\n|\r(?!$)/);
    this.partial = parts.pop()!;
    const before = this.lines.length;
    for (const line of parts) this.lines.push(line);
    this.grown += delta.length;
    if (!this.parser) {
      this.waiting ??= this.root.appendChild(Object.assign(document.createElement('p'), { className: 'md-html' }));
      this.waiting.append(delta);
      return;
    }
    if (this.fence && this.growCode(before)) return;
    if (this.tailSize > SMALL && this.grown * 4 < this.tailSize) return;
    this.update(false);
  }

  /** The source is complete: every block becomes final. Idempotent. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.partial) this.lines.push(this.partial.replace(/\r$/, ''));
    this.partial = '';
    this.fence = undefined;
    if (this.parser) this.finish();
  }

  /** Every block becomes final; late definitions; the footnotes. */
  private finish(): void {
    this.update(true);
    this.lateDefinitions();
    const footer = renderFootnotes(this.ctx, true);
    if (footer) this.root.appendChild((this.footer = footer));
  }

  /** New complete lines inside an open top-level fenced code block: appended to its text while none closes it. */
  private growCode(before: number): boolean {
    const fence = this.fence!;
    for (let i = before; i < this.lines.length; i++) {
      const m = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(this.lines[i]);
      if (m && m[1][0] === fence.char && m[1].length >= fence.len) return false;
    }
    const partial = this.partial;
    if (/^ {0,3}[`~]/.test(partial)) return false;
    const code = this.lines.slice(fence.start + 1).concat(partial ? [partial] : []);
    fence.code.textContent = code.map((l) => l.slice(0, 0) + stripIndent(l, this.lines[fence.start])).join('\n');
    return true;
  }

  private update(final: boolean): void {
    const tail = this.lines.slice(this.first);
    if (!final && this.partial) tail.push(this.partial);
    this.grown = 0;
    this.tailSize = tail.reduce((n, l) => n + l.length + 1, 0);
    this.parsedCharacters += this.tailSize;
    const { doc, definitions, refmap } = this.parser!.parse(tail, this.first + 1, this.refs);
    const blocks: MdNode[] = [];
    for (let c = doc.firstChild as MdNode | null; c; c = c.next as MdNode | null) blocks.push(c);
    const start = (b: MdNode) => b.sourcepos[0][0] - 1;
    // Where a parse can start again: the paragraph a block was cut from (its definitions, a table's paragraph).
    const origin = (b: MdNode) => (b.origin ?? b.sourcepos[0][0]) - 1;
    // The line of the unfinished last line: a block is final when the next one starts two lines before it.
    const partialLine = this.lines.length;
    let done = 0;
    if (final) {
      done = blocks.length;
    } else {
      for (; done < blocks.length; done++) {
        const b = blocks[done];
        // The next block that is not a piece of the same paragraph (pieces of one paragraph are finished together).
        let j = done + 1;
        while (j < blocks.length && origin(blocks[j]) === origin(b)) j++;
        if (j < blocks.length && start(blocks[j]) <= partialLine - 2) continue;
        if (j !== done + 1) break;
        // No later line changes a complete ATX heading, thematic break or closed fenced code block.
        const last = b.sourcepos[1][0] - 1;
        if (last >= partialLine) break;
        const line = this.lines[last] ?? '';
        if (b.type === 'thematic_break' || (b.type === 'heading' && /^ {0,3}#/.test(line))) continue;
        if (b.type === 'code_block' && last > start(b) && closes(line, this.lines[start(b)] ?? '')) continue;
        break;
      }
    }
    // Pieces of one paragraph go together: a piece is kept back when a later piece of its paragraph is.
    while (done > 0 && done < blocks.length && origin(blocks[done]) === origin(blocks[done - 1])) done--;
    const boundary = done < blocks.length ? origin(blocks[done]) : final ? this.lines.length : done ? blocks[done - 1].sourcepos[1][0] : this.first;
    if (done) {
      for (const r of definitions.refs) if (r.line - 1 < boundary) this.addRefs(r.map);
      const defs = this.ctx.footnotes.defs;
      for (const f of definitions.footnotes) if (f.sourcepos[0][0] - 1 < boundary && !defs.has(f.label!)) defs.set(f.label!, f);
      // Finished blocks go before the live ones. A live block that was rendered just as a finished one would be
      // keeps its nodes; the others are dropped (the new tail is rendered again).
      const keys = this.keys(blocks);
      const live = new Map(this.live.map((l) => [l.key, l]));
      const kept = new Set<Live>();
      for (let k = 0; k < done; k++) {
        const l = live.get(keys[k]);
        if (l?.reusable && l.refs === this.refCount) kept.add(l);
      }
      for (const l of this.live) if (!kept.has(l)) for (const n of l.nodes) n.remove();
      this.live = [];
      for (let k = 0; k < done; k++) {
        const end = k + 1 < blocks.length ? origin(blocks[k + 1]) : boundary;
        const l = live.get(keys[k]);
        this.commit(blocks[k], origin(blocks[k]), Math.max(end, origin(blocks[k]) + 1), l && kept.has(l) ? l : undefined);
      }
      this.first = boundary;
    }
    this.renderLive(blocks.slice(done), definitions.footnotes, refmap, final);
  }

  private addRefs(map: Record<string, unknown>): void {
    for (const k of Object.keys(map)) {
      if (!(k in this.refs)) {
        this.refs[k] = map[k];
        this.refCount++;
      }
    }
  }

  /** Renders a finished block once (its inlines are parsed now), or keeps the nodes of its live rendering. */
  private commit(block: MdNode, first: number, end: number, live?: Live): void {
    const seen = this.ctx.footnotes.seen;
    const from = seen.length;
    let nodes: ChildNode[];
    if (live) {
      nodes = live.nodes;
      for (const n of nodes) this.root.insertBefore(n, this.footer ?? null);
    } else {
      this.parser!.inlines(block, this.refs);
      const frag = document.createDocumentFragment();
      render(block, frag, true, this.ctx);
      nodes = [...frag.childNodes];
      this.root.insertBefore(frag, this.footer ?? null);
    }
    const labels = seen.slice(from);
    this.committed.push({ nodes, first, end, refs: this.refCount, labels, numbers: labels.map((l) => this.ctx.footnotes.numbers.get(l)) });
  }

  private renderLive(blocks: MdNode[], footnotes: MdNode[], refmap: Record<string, unknown>, final: boolean): void {
    const defs = new Map(this.ctx.footnotes.defs);
    for (const f of footnotes) if (!defs.has(f.label!)) defs.set(f.label!, f);
    // Live blocks get footnote numbers of their own (a copy): only finished blocks number footnotes for good.
    const ctx: RenderContext = { ...this.ctx, footnotes: { defs, numbers: new Map(this.ctx.footnotes.numbers), seen: [] } };
    const next: Live[] = [];
    const keys = this.keys(blocks);
    const ownRefs = Object.keys(refmap).length;
    let i = 0;
    for (; i < blocks.length && i < this.live.length && this.live[i].key === keys[i]; i++) next.push(this.live[i]);
    for (const stale of this.live.slice(i)) for (const n of stale.nodes) n.remove();
    this.fence = undefined;
    for (; i < blocks.length; i++) {
      const b = blocks[i];
      this.parser!.inlines(b, refmap);
      const frag = document.createDocumentFragment();
      const seen = ctx.footnotes.seen.length;
      render(b, frag, final, ctx);
      const nodes = [...frag.childNodes];
      this.root.insertBefore(frag, this.footer ?? null);
      const reusable = !ownRefs && ctx.footnotes.seen.length === seen && !has(b, 'code_block');
      next.push({ key: keys[i], nodes, reusable, refs: this.refCount });
    }
    this.live = next;
    // An open fenced code block at the top level: later lines that do not close it are added to its text in place.
    const last = blocks[blocks.length - 1];
    const lastNode = next[next.length - 1]?.nodes[0] as HTMLElement | undefined;
    const startLine = last ? last.sourcepos[0][0] - 1 : -1;
    const opening = startLine >= 0 ? /^ {0,3}(`{3,}|~{3,})/.exec(this.lines[startLine] ?? '') : null;
    if (!final && last?.type === 'code_block' && opening && lastNode?.querySelector && !closedFence(this.lines, startLine, opening[1])) {
      const code = lastNode.querySelector('code');
      if (code) this.fence = { char: opening[1][0], len: opening[1].length, code, start: startLine };
    }
  }

  /**
   * At the end: finished blocks rendered before a reference or footnote definition that they use arrived, or whose
   * footnote numbers differ from those of a one-shot render, are rendered once more from their source.
   */
  private lateDefinitions(): void {
    const { defs, numbers } = this.ctx.footnotes;
    // The numbers of a one-shot render: in order of first reference to a defined footnote.
    const final = new Map<string, number>();
    for (const c of this.committed) for (const l of c.labels) if (defs.has(l) && !final.has(l)) final.set(l, final.size + 1);
    const stale = this.committed.filter((c) => (c.refs < this.refCount && this.source(c).includes('['))
      || c.labels.some((l, k) => final.get(l) !== c.numbers[k]));
    numbers.clear();
    for (const [l, n] of final) numbers.set(l, n);
    for (const c of stale) {
      const lines = this.lines.slice(c.first, c.end);
      this.parsedCharacters += lines.reduce((n, l) => n + l.length + 1, 0);
      const { doc } = this.parser!.parse(lines, c.first + 1, this.refs);
      const frag = document.createDocumentFragment();
      for (let b = doc.firstChild as MdNode | null; b; b = b.next as MdNode | null) {
        this.parser!.inlines(b, this.refs);
        render(b, frag, true, { ...this.ctx, footnotes: { defs, numbers, seen: [] } });
      }
      c.nodes[0].before(frag);
      for (const n of c.nodes) n.remove();
    }
    // Footnote definitions are rendered in the footnotes section; their inlines are parsed once, here.
    for (const [label, def] of defs) if (numbers.has(label)) this.parser!.inlines(def, this.refs);
  }

  /** What identifies a block of the tail between two updates: its kind, where it and the next one start, its text. */
  private keys(blocks: MdNode[]): string[] {
    return blocks.map((b, k) => `${b.type}:${b.sourcepos[0][0]}:${k + 1 < blocks.length ? blocks[k + 1].sourcepos[0][0] : ''}:${sourceOf(this, b, blocks[k + 1])}`);
  }

  private source(c: Committed): string {
    return this.lines.slice(c.first, c.end).join('\n');
  }
}

function sourceOf(stream: MarkdownStream, b: MdNode, next: MdNode | undefined): string {
  const s = stream as unknown as { lines: string[]; partial: string };
  const from = b.sourcepos[0][0] - 1;
  const to = next ? next.sourcepos[0][0] - 1 : s.lines.length + 1;
  const lines = s.lines.slice(from, to);
  if (!next) lines.push(s.partial);
  return lines.join('\n');
}

/** Whether `line` closes the fence opened by `opening`. */
function closes(line: string, opening: string): boolean {
  const open = /^ {0,3}(`{3,}|~{3,})/.exec(opening);
  const m = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(line);
  return !!open && !!m && m[1][0] === open[1][0] && m[1].length >= open[1].length;
}

function has(n: MdNode, type: string): boolean {
  if (n.type === type) return true;
  for (let c = n.firstChild as MdNode | null; c; c = c.next as MdNode | null) if (has(c, type)) return true;
  return false;
}

function closedFence(lines: string[], start: number, fence: string): boolean {
  for (let i = start + 1; i < lines.length; i++) {
    const m = /^ {0,3}(`{3,}|~{3,})[ \t]*$/.exec(lines[i]);
    if (m && m[1][0] === fence[0] && m[1].length >= fence.length) return true;
  }
  return false;
}

/** A code line without the indentation of its opening fence (as CommonMark removes it). */
function stripIndent(line: string, opening: string): string {
  const indent = /^ */.exec(opening)![0].length;
  let i = 0;
  while (i < indent && line[i] === ' ') i++;
  return line.slice(i);
}

/** Renders a complete text at once (the reference for the streaming result). */
export function renderMarkdown(root: HTMLElement, text: string, options: MarkdownOptions = {}): MarkdownStream {
  const stream = new MarkdownStream(root, options);
  stream.append(text);
  stream.end();
  return stream;
}
