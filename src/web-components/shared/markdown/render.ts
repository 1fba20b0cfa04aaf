/**
 * The syntax tree of parse.ts to DOM, with createElement and text nodes only: raw HTML (inline or block) is shown as
 * text, links and images need an absolute http(s) or mailto URL (safeUrl), images are links labelled with their
 * alt text (never loaded), `<br>` in a table cell is the one tag that means something (a line break).
 */
import { msg } from '@lit/localize';
import { highlightInto } from './highlight.js';
import { el, safeUrl } from './inline.js';
import { renderMath } from './math.js';
import type { MdNode } from './parse.js';

const ALIGN: Record<string, string> = { left: 'md-left', center: 'md-center', right: 'md-right' };
const copyLabel = () => msg('Copy');

/** A retrieved source of the answer (the protocol's `citation` frame). */
export interface Citation {
  readonly sourceId: string;
  readonly title: string;
  readonly url?: string;
  readonly snippet?: string;
}

/** Footnotes: the definitions known, and the number of each referenced label in order of first reference. */
export interface Footnotes {
  readonly defs: Map<string, MdNode>;
  readonly numbers: Map<string, number>;
  /** Labels referenced while rendering (defined or not), in order. */
  readonly seen: string[];
}

/** How blocks are rendered: with math or not, where work that completes a block later goes, footnotes, sources. */
export interface RenderContext {
  readonly math: boolean;
  /** Receives a grammar or the math converter still loading for a rendered block (never rejects). */
  readonly later: (work: Promise<void>) => void;
  readonly footnotes: Footnotes;
  readonly citations: () => readonly Citation[];
}

/**
 * The citation a footnote stands for: the source whose id is the label, or the n-th source for `[^n]`, or the
 * source whose URL the footnote's text contains.
 */
export function citationOf(label: string, def: MdNode | undefined, citations: readonly Citation[]): Citation | undefined {
  const byId = citations.find((c) => c.sourceId.toLowerCase() === label);
  if (byId) return byId;
  if (/^\d{1,3}$/.test(label) && citations[+label - 1]) return citations[+label - 1];
  const text = def ? plainText(def, true) : '';
  return text ? citations.find((c) => c.url && text.includes(c.url)) : undefined;
}

/** The text of a subtree (an image's alt text; with `urls`, link destinations too, to match a footnote's source). */
export function plainText(n: MdNode, urls = false): string {
  if (!urls) return n.firstChild ? flatText(n) : n.literal ?? '';
  if (n.type === 'text' || n.type === 'code' || n.type === 'html_inline' || n.type === 'footnote_ref' || n.type === 'math') return n.literal ?? '';
  if (n.type === 'softbreak' || n.type === 'linebreak') return ' ';
  let s = '';
  for (let c = n.firstChild as MdNode | null; c; c = c.next as MdNode | null) s += plainText(c, urls);
  return urls && n.type === 'link' && n.destination ? `${s} ${n.destination}` : s;
}

function anchor(href: string, className?: string): HTMLAnchorElement {
  const a = el('a', className);
  a.href = href;
  a.rel = 'noopener noreferrer nofollow';
  a.target = '_blank';
  return a;
}

/** Nodes nest at most this deep in the DOM (32 containers, emphasis): deeper content is its text. */
const MAX_DEPTH = 128;
let depth = 0;

const children = (n: MdNode, parent: Node, final: boolean, ctx: RenderContext) => {
  if (depth >= MAX_DEPTH) {
    parent.appendChild(document.createTextNode(flatText(n)));
    return;
  }
  depth++;
  try {
    for (let c = n.firstChild as MdNode | null; c; c = c.next as MdNode | null) render(c, parent, final, ctx);
  } finally {
    depth--;
  }
};

/** The text of a subtree of any depth, without recursion (`*a *a *a … b* b* b*` nests 10,000 deep in 64 KB). */
function flatText(root: MdNode): string {
  let s = '';
  let n: MdNode | null = root.firstChild as MdNode | null;
  while (n) {
    if (n.firstChild) {
      n = n.firstChild as MdNode;
      continue;
    }
    s += n.type === 'softbreak' || n.type === 'linebreak' ? ' ' : n.literal ?? '';
    while (n && !n.next && n !== root) n = n.parent as MdNode | null;
    if (!n || n === root) break;
    n = n.next as MdNode | null;
  }
  return s;
}

/** Renders a block (and what it contains) into `parent`; `final` blocks get syntax highlighting. */
export function render(n: MdNode, parent: Node, final: boolean, ctx: RenderContext): void {
  const add = <T extends Node>(node: T): T => parent.appendChild(node);
  switch (n.type) {
    case 'document':
      return children(n, parent, final, ctx);
    case 'paragraph': {
      // In a tight list, an item's paragraphs are bare text.
      const list = n.parent?.parent;
      if (n.parent?.type === 'item' && list?.type === 'list' && list.listTight) return children(n, parent, final, ctx);
      return children(n, add(el('p')), final, ctx);
    }
    case 'heading':
      return children(n, add(el(`h${Math.min(6, Math.max(1, n.level))}` as 'h1')), final, ctx);
    case 'block_quote':
      return children(n, add(el('blockquote')), final, ctx);
    case 'thematic_break':
      add(el('hr'));
      return;
    case 'list': {
      const list = add(el(n.listType === 'ordered' ? 'ol' : 'ul'));
      if (n.listType === 'ordered' && n.listStart !== null && n.listStart !== 1) (list as HTMLOListElement).start = n.listStart;
      return children(n, list, final, ctx);
    }
    case 'item': {
      const li = add(el('li'));
      if (n.task) {
        li.className = 'md-task';
        const box = li.appendChild(el('input'));
        box.type = 'checkbox';
        box.disabled = true;
        box.checked = n.task === 'checked';
        if (n.firstChild?.type === 'paragraph' || !n.firstChild) li.appendChild(document.createTextNode(' '));
      }
      return children(n, li, final, ctx);
    }
    case 'code_block':
      add(renderCode(n.info ?? '', n.literal ?? '', final, ctx));
      return;
    case 'html_block': {
      // Raw HTML is never interpreted: shown as the text it is.
      add(el('p', 'md-html', (n.literal ?? '').replace(/\n$/, '')));
      return;
    }
    case 'table':
      add(renderTable(n, final, ctx));
      return;
    case 'math_block':
      add(ctx.math ? renderMath(n.literal ?? '', true, n.info ?? '', true, ctx.later) : el('p', '', n.info ?? ''));
      return;
    case 'footnote_def':
      return; // shown in the footnotes section
    case 'text':
      add(document.createTextNode(n.literal ?? ''));
      return;
    case 'softbreak':
      add(document.createTextNode('\n'));
      return;
    case 'linebreak':
      add(el('br'));
      return;
    case 'emph':
      return children(n, add(el('em')), final, ctx);
    case 'strong':
      return children(n, add(el('strong')), final, ctx);
    case 'strikethrough':
      return children(n, add(el('del')), final, ctx);
    case 'code':
      add(el('code', '', n.literal ?? ''));
      return;
    case 'html_inline':
      // `<br>` in a table cell is a line break (models write them there); any other tag is text.
      if (/^<br\s*\/?>$/i.test(n.literal ?? '') && inCell(n)) add(el('br'));
      else add(document.createTextNode(n.literal ?? ''));
      return;
    case 'link': {
      const href = safeUrl(n.destination ?? '');
      if (!href) {
        // A refused URL (relative, javascript:, data:…): the syntax as typed, as text.
        if (n.source !== undefined) add(document.createTextNode(n.source));
        else children(n, parent, final, ctx);
        return;
      }
      const a = add(anchor(href));
      if (n.title) a.title = n.title;
      return children(n, a, final, ctx);
    }
    case 'image': {
      // Images are not loaded: a link to them, labelled with the alt text.
      const alt = plainText(n);
      const href = safeUrl(n.destination ?? '');
      if (!href) add(document.createTextNode(n.source ?? alt));
      else add(anchor(href, 'md-image')).appendChild(document.createTextNode(alt || (n.destination ?? '')));
      return;
    }
    case 'footnote_ref':
      add(footnoteRef(n, ctx));
      return;
    case 'math':
      add(ctx.math ? renderMath(n.literal ?? '', !!n.display, n.info ?? '', false, ctx.later) : document.createTextNode(n.info ?? ''));
      return;
    default:
      return children(n, parent, final, ctx);
  }
}

const inCell = (n: MdNode) => {
  for (let p = n.parent; p; p = p.parent) if (p.type === 'table_cell') return true;
  return false;
};

function footnoteRef(n: MdNode, ctx: RenderContext): Node {
  const label = n.label ?? '';
  const { defs, numbers, seen } = ctx.footnotes;
  seen.push(label);
  const def = defs.get(label);
  const cites = ctx.citations();
  const cite = citationOf(label, def, cites);
  // `[^n]` without a definition (how the model cites a retrieved source) is that source, by its number in the list.
  if (!def && !cite) return document.createTextNode(n.literal ?? '');
  let num = def ? numbers.get(label) : cites.indexOf(cite!) + 1;
  if (num === undefined) numbers.set(label, (num = numbers.size + 1));
  const sup = el('sup', 'md-fnref');
  // A cited page opens only over https: (docs/knowledge-contract.md, "Retrieval": citations carry `https:` URLs only).
  const href = cite?.url && /^https:/i.test(cite.url) ? safeUrl(cite.url) : undefined;
  if (href) {
    const a = sup.appendChild(anchor(href, 'md-cite'));
    a.title = cite!.title;
    a.textContent = String(num);
  } else {
    const a = sup.appendChild(el('a', '', String(num)));
    a.href = `#fn-${num}`;
    if (cite) a.title = cite.title;
    a.addEventListener('click', (e) => {
      e.preventDefault();
      // A source without a footnote: `md-source` asks the chat to open it (a bot's document), during the click.
      if (!def) a.dispatchEvent(new CustomEvent('md-source', { bubbles: true, detail: cite }));
      else (a.getRootNode() as ParentNode).querySelector?.(`[data-footnote="${num}"]`)?.scrollIntoView({ block: 'nearest' });
    });
  }
  return sup;
}

/** The footnotes section: every referenced footnote that is defined, by number (a citation shows its source). */
export function renderFootnotes(ctx: RenderContext, final: boolean): HTMLElement | undefined {
  const { defs, numbers } = ctx.footnotes;
  if (!numbers.size) return undefined;
  const section = el('section', 'md-footnotes');
  const ol = section.appendChild(el('ol'));
  for (const [label, num] of [...numbers].sort((a, b) => a[1] - b[1])) {
    const def = defs.get(label);
    const li = ol.appendChild(el('li'));
    li.dataset.footnote = String(num);
    if (def) children(def, li, final, ctx);
    const cite = citationOf(label, def, ctx.citations());
    // A cited page opens only over https: (docs/knowledge-contract.md, "Retrieval": citations carry `https:` URLs only).
    const href = cite?.url && /^https:/i.test(cite.url) ? safeUrl(cite.url) : undefined;
    if (cite && href && !(def && plainText(def, true).includes(cite.url!))) {
      li.appendChild(document.createTextNode(' '));
      li.appendChild(anchor(href, 'md-cite')).textContent = cite.title;
    }
  }
  return section;
}

function renderCode(info: string, code: string, final: boolean, ctx: RenderContext): HTMLElement {
  const lang = info.split(/\s/)[0].replace(/[^\w+#.-]/g, '').slice(0, 32);
  const wrap = el('div', 'md-code');
  const bar = wrap.appendChild(el('div', 'md-code-bar'));
  bar.appendChild(el('span', 'md-lang', lang || 'text'));
  const button = bar.appendChild(el('button', 'md-copy', copyLabel()));
  button.type = 'button';
  const pre = wrap.appendChild(el('pre'));
  pre.tabIndex = 0; // scrollable: reachable by keyboard
  const codeEl = pre.appendChild(el('code', lang ? `language-${lang}` : ''));
  // The code exactly as written (tabs included), without the line break that ends its last line.
  const text = code.replace(/\n$/, '');
  if (final && lang.toLowerCase() === 'mermaid') {
    // A diagram: drawn in its sandboxed frame (diagram.ts, its own chunk); the code stays until it is drawn.
    codeEl.textContent = text;
    const texts = { title: msg('Diagram'), failed: msg('The diagram could not be drawn; its source is shown.') };
    ctx.later(import('./diagram.js').then((m) => m.mountDiagram(wrap, pre, text, texts), () => {
      wrap.insertBefore(el('p', 'md-diagram-note', texts.failed), pre);
    }));
  } else if (final) {
    const work = highlightInto(text, lang, codeEl);
    if (work) ctx.later(work);
  } else {
    codeEl.textContent = text;
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

function renderTable(n: MdNode, final: boolean, ctx: RenderContext): HTMLElement {
  const align = n.align ?? [];
  // A scrollable region with a name, reachable by keyboard.
  const wrap = el('div', 'md-table');
  wrap.tabIndex = 0;
  wrap.setAttribute('role', 'region');
  wrap.setAttribute('aria-label', msg('Table'));
  const table = wrap.appendChild(el('table'));
  let body: HTMLElement | undefined;
  for (let row = n.firstChild as MdNode | null; row; row = row.next as MdNode | null) {
    const parent = row.header ? table.appendChild(el('thead')) : (body ??= table.appendChild(el('tbody')));
    const tr = parent.appendChild(el('tr'));
    let i = 0;
    for (let cell = row.firstChild as MdNode | null; cell; cell = cell.next as MdNode | null, i++) {
      children(cell, tr.appendChild(el(row.header ? 'th' : 'td', ALIGN[align[i]])), final, ctx);
    }
  }
  return wrap;
}
