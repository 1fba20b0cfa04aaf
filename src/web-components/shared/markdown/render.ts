/** Rendering of one block to DOM (createElement + text nodes only). */
import { msg } from '@lit/localize';
import { cells, closes, fenceOf, HEADING, indentOf, isBlank, LIST_ITEM, mathOf, parseBlocks } from './blocks.js';
import type { Block } from './blocks.js';
import { highlightInto } from './highlight.js';
import { el, renderInline } from './inline.js';
import type { InlineOptions } from './inline.js';
import { renderMath } from './math.js';

const ALIGN: Record<string, string> = { l: 'md-left', c: 'md-center', r: 'md-right' };
const copyLabel = () => msg('Copy');

/** The code of a fenced block, without its fences and the fence's indentation. */
export function codeOf(block: Block): { lang: string; code: string } {
  const fence = fenceOf(block.lines[0])!;
  const closed = block.lines.length > 1 && closes(block.lines[block.lines.length - 1], fence);
  const body = block.lines.slice(1, closed ? -1 : undefined)
    .map((line) => line.slice(Math.min(fence.indent, indentOf(line))));
  return { lang: fence.info.split(/\s/)[0].replace(/[^\w+#.-]/g, '').slice(0, 32), code: body.join('\n') };
}

/** A display formula block: its LaTeX, and whether its closing delimiter came (else it is shown as a paragraph). */
export function mathBlockOf(block: Block): { tex: string; closed: boolean } {
  const { close, closed: oneLine } = mathOf(block.lines[0])!;
  const lines = [block.lines[0].replace(/^ {0,3}(?:\$\$|\\\[)/, ''), ...block.lines.slice(1)];
  const last = lines[lines.length - 1].trimEnd();
  const closed = (oneLine || lines.length > 1) && last.endsWith(close);
  if (closed) lines[lines.length - 1] = last.slice(0, -close.length);
  return { tex: lines.join('\n'), closed };
}

/** Paragraph text: leading indentation of each line and trailing spaces removed; line breaks kept. */
const paragraphText = (lines: readonly string[]) => lines.map((line) => line.trimStart()).join('\n').trimEnd();

/** How blocks are rendered: with math or not, and where work that completes a block later goes. */
export interface RenderContext {
  readonly math: boolean;
  /** Receives a grammar or the math converter still loading for a rendered block (never rejects). */
  readonly later: (work: Promise<void>) => void;
  readonly inline: InlineOptions;
}

export function renderContext(math: boolean, later: (work: Promise<void>) => void = () => undefined): RenderContext {
  return { math, later, inline: math ? { math: (tex, display, source) => renderMath(tex, display, source, false, later) } : {} };
}

const PLAIN = renderContext(false);

/** Renders a block; `final` blocks get syntax highlighting. */
export function renderBlock(block: Block, final: boolean, ctx: RenderContext = PLAIN): HTMLElement {
  const { lines } = block;
  switch (block.kind) {
    case 'h': {
      const m = HEADING.exec(lines[0])!;
      const h = el(`h${m[1].length}` as 'h1');
      renderInline(m[2] ?? '', h, ctx.inline);
      return h;
    }
    case 'hr':
      return el('hr');
    case 'code':
      return renderCode(block, final, ctx);
    case 'quote': {
      const quote = el('blockquote');
      const inner = lines.map((line) => line.replace(/^ {0,3}> ?/, ''));
      for (const child of parseBlocks(inner, ctx)) quote.appendChild(renderBlock(child, final, ctx));
      return quote;
    }
    case 'list':
      return renderList(lines, final, ctx);
    case 'table':
      return renderTable(lines, ctx);
    case 'math': {
      const { tex, closed } = mathBlockOf(block);
      if (closed && tex.trim()) return renderMath(tex, true, lines.join('\n'), true, ctx.later);
      break; // unclosed (yet): a paragraph
    }
    default:
      break;
  }
  const p = el('p');
  renderInline(paragraphText(lines), p, ctx.inline);
  return p;
}

function renderCode(block: Block, final: boolean, ctx: RenderContext): HTMLElement {
  const { lang, code } = codeOf(block);
  const wrap = el('div', 'md-code');
  const bar = wrap.appendChild(el('div', 'md-code-bar'));
  bar.appendChild(el('span', 'md-lang', lang || 'text'));
  const button = bar.appendChild(el('button', 'md-copy', copyLabel()));
  button.type = 'button';
  const pre = wrap.appendChild(el('pre'));
  pre.tabIndex = 0; // scrollable: reachable by keyboard
  const codeEl = pre.appendChild(el('code', lang ? `language-${lang}` : ''));
  if (final) {
    const work = highlightInto(code, lang, codeEl);
    if (work) ctx.later(work);
  } else {
    codeEl.textContent = code;
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  button.addEventListener('click', () => {
    const show = (label: string, ok: boolean) => {
      button.textContent = label;
      button.classList.toggle('md-copied', ok);
      clearTimeout(timer);
      timer = setTimeout(() => {
        button.textContent = copyLabel();
        button.classList.remove('md-copied');
      }, 2000);
    };
    // Reads the code element at click time: a streaming block may have grown since it was rendered.
    Promise.resolve()
      .then(() => navigator.clipboard.writeText(codeEl.textContent ?? ''))
      .then(() => show(msg('Copied'), true), () => show(msg('Copy failed'), false));
  });
  return wrap;
}

function renderList(lines: readonly string[], final: boolean, ctx: RenderContext): HTMLElement {
  const first = LIST_ITEM.exec(lines[0])!;
  const ordered = !!first[3];
  const list = el(ordered ? 'ol' : 'ul');
  if (ordered && +first[3] !== 1) (list as HTMLOListElement).start = +first[3];
  const items: string[][] = [];
  let markerIndent = 0;
  let contentIndent = 0;
  let fence: ReturnType<typeof fenceOf>;
  for (const line of lines) {
    const indent = indentOf(line);
    const item = !fence && LIST_ITEM.exec(line);
    if (item && (!items.length || indent < markerIndent + 2)) {
      // A new item at this level; deeper items (2+ more spaces) nest inside the current one.
      markerIndent = indent;
      const rest = line.slice(item[0].length);
      contentIndent = item[0].length - item[4].length + (item[4].length > 4 || isBlank(rest) ? 1 : item[4].length);
      items.push([line.slice(Math.min(contentIndent, line.length))]);
      continue;
    }
    const content = line.slice(Math.min(indent, contentIndent));
    items[items.length - 1].push(content);
    if (fence) {
      if (closes(content.trimStart(), fence)) fence = undefined;
    } else {
      fence = fenceOf(content.trimStart());
    }
  }
  for (const itemLines of items) {
    const li = list.appendChild(el('li'));
    // A tight item (no blank line) shows its paragraphs as bare text, a loose one as <p>.
    const tight = !itemLines.some(isBlank);
    for (const block of parseBlocks(itemLines, ctx)) {
      if (tight && block.kind === 'p') renderInline(paragraphText(block.lines), li, ctx.inline);
      else li.appendChild(renderBlock(block, final, ctx));
    }
  }
  return list;
}

function renderTable(lines: readonly string[], ctx: RenderContext): HTMLElement {
  const header = cells(lines[0]);
  const align = cells(lines[1]).map((d) => (d.endsWith(':') ? (d.startsWith(':') ? 'c' : 'r') : d.startsWith(':') ? 'l' : ''));
  // A scrollable region with a name, reachable by keyboard.
  const wrap = el('div', 'md-table');
  wrap.tabIndex = 0;
  wrap.setAttribute('role', 'region');
  wrap.setAttribute('aria-label', msg('Table'));
  const table = wrap.appendChild(el('table'));
  const row = (values: string[], tag: 'th' | 'td', parent: HTMLElement) => {
    const tr = parent.appendChild(el('tr'));
    header.forEach((_, i) => renderInline(values[i] ?? '', tr.appendChild(el(tag, ALIGN[align[i]])), ctx.inline));
  };
  row(header, 'th', table.appendChild(el('thead')));
  if (lines.length > 2) {
    const body = table.appendChild(el('tbody'));
    for (const line of lines.slice(2)) row(cells(line), 'td', body);
  }
  return wrap;
}
