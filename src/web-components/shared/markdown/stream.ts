import { BlockSplitter, parseBlocks } from './blocks.js';
import type { Block } from './blocks.js';
import { codeOf, renderBlock, renderContext } from './render.js';
import type { RenderContext } from './render.js';

export interface MarkdownOptions {
  /** Formulas (`$…$`, `\(…\)`, `$$…$$`, `\[…\]`) become MathML; off: `$` is plain text. */
  readonly math?: boolean;
}

interface Live { readonly block: Block; readonly key: string; readonly node: HTMLElement }

const keyOf = (block: Block) => `${block.kind}\n${block.lines.join('\n')}`;

/**
 * Streaming markdown into an element. Text is fed in deltas; complete lines go through a `BlockSplitter`, and
 * each block it finishes is rendered once and never touched again. Only the open block (plus the unfinished
 * last line) is parsed and rendered again on each update; an open code block is updated in place. The only later
 * change to a finished block is its one-time completion when a code block's grammar or the math converter arrives.
 */
export class MarkdownStream {
  readonly math: boolean;
  private readonly splitter: BlockSplitter;
  private readonly ctx: RenderContext;
  private readonly pending = new Set<Promise<void>>();
  private partial = '';
  private live: Live[] = [];
  private ended = false;

  constructor(readonly root: HTMLElement, options: MarkdownOptions = {}) {
    this.math = !!options.math;
    this.splitter = new BlockSplitter((block) => this.commit(block), options);
    this.ctx = renderContext(this.math, (work) => {
      this.pending.add(work);
      void work.then(() => this.pending.delete(work));
    });
  }

  /** Resolves when every grammar and formula conversion started so far has been applied (or has failed). */
  async settled(): Promise<void> {
    while (this.pending.size) await Promise.all(this.pending);
  }

  /** Appends a delta of markdown source. */
  append(delta: string): void {
    if (this.ended || !delta) return;
    const lines = (this.partial + delta).split('\n');
    this.partial = lines.pop()!;
    for (const line of lines) this.splitter.push(line);
    this.renderLive();
  }

  /** The source is complete: the open block becomes final. Idempotent. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.partial) this.splitter.push(this.partial);
    this.partial = '';
    this.splitter.flush();
    this.renderLive();
  }

  /** A finished block: rendered once, before the live blocks. */
  private commit(block: Block): void {
    this.root.insertBefore(renderBlock(block, true, this.ctx), this.live[0]?.node ?? null);
  }

  private renderLive(): void {
    const open = this.splitter.open;
    const lines = open ? [...open.lines] : [];
    if (this.partial) lines.push(this.partial);
    const blocks = lines.length ? parseBlocks(lines, this.ctx) : [];
    const next: Live[] = [];
    let i = 0;
    // Keep the live blocks that did not change (usually all but the last).
    for (; i < blocks.length && i < this.live.length && this.live[i].key === keyOf(blocks[i]); i++) next.push(this.live[i]);
    const old = this.live[i];
    const block = blocks[i];
    if (old && block && i === blocks.length - 1 && block.kind === 'code' && old.block.kind === 'code' && block.lines[0] === old.block.lines[0]) {
      // A growing code block: only its text changes.
      old.node.querySelector('code')!.textContent = codeOf(block).code;
      next.push({ block, key: keyOf(block), node: old.node });
      i++;
    }
    for (const stale of this.live.slice(next.length)) stale.node.remove();
    for (; i < blocks.length; i++) {
      const node = renderBlock(blocks[i], false, this.ctx);
      this.root.appendChild(node);
      next.push({ block: blocks[i], key: keyOf(blocks[i]), node });
    }
    this.live = next;
  }
}
