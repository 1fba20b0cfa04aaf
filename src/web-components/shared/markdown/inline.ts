/**
 * Inline markdown to DOM: emphasis, strong, strikethrough, code spans, links, images (as links), autolinks and
 * bare https URLs, and with math on, formulas (`$…$`, `\(…\)`, `$$…$$`, `\[…\]`). Everything is built with
 * createElement and text nodes: no markup from the text is ever interpreted (raw HTML and entities stay literal text).
 */
const PUNCT = /[!-/:-@[-`{-~]/;
const WORD = /[\p{L}\p{N}]/u;
const ALLOWED_PROTOCOLS = ['http:', 'https:', 'mailto:'];

/**
 * The normalized URL if `raw` is an absolute http(s) or mailto URL, else undefined. No entity decoding, no
 * whitespace or control characters: `JaVaScRiPt:`, `java\tscript:`, `&#106;avascript:`, `data:`… are refused.
 */
export function safeUrl(raw: string): string | undefined {
  const url = raw.replace(/\\([!-/:-@[-`{-~])/g, '$1');
  if (!/^(?:https?:\/\/|mailto:)/i.test(url) || /[\s\p{Cc}]/u.test(url)) return undefined;
  try {
    const parsed = new URL(url);
    return ALLOWED_PROTOCOLS.includes(parsed.protocol) ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  return node;
}

function anchor(href: string, className?: string): HTMLAnchorElement {
  const a = el('a', className);
  a.href = href;
  a.rel = 'noopener noreferrer nofollow';
  a.target = '_blank';
  return a;
}

/** Length of the run of `ch` at `i`. */
function run(src: string, i: number, ch: string): number {
  let j = i;
  while (src[j] === ch) j++;
  return j - i;
}

/** Index of the closing backtick run matching an opening run of length n ending at `from`, or -1. */
function codeEnd(src: string, from: number, n: number): number {
  for (let j = src.indexOf('`', from); j >= 0; j = src.indexOf('`', j)) {
    const len = run(src, j, '`');
    if (len === n) return j;
    j += len;
  }
  return -1;
}

/** Skips an escape or a code span at i; returns the next index to look at. */
function skip(src: string, i: number): number {
  if (src[i] === '\\') return i + 2;
  if (src[i] === '`') {
    const n = run(src, i, '`');
    const end = codeEnd(src, i + n, n);
    return end < 0 ? i + n : end + n;
  }
  return i + 1;
}

/** With math on: renders a formula (`tex` without its delimiters, `source` with them; `display` for `$$…$$`, `\[…\]`). */
export type MathRenderer = (tex: string, display: boolean, source: string) => Node;

export interface InlineOptions {
  readonly math?: MathRenderer;
}

interface MathSyntax { readonly end: number; readonly tex: string; readonly display: boolean }

/**
 * The formula starting at i (`$`, `$$`, `\(` or `\[`), or undefined. Like Pandoc, `$…$` needs a non-space after the
 * opening `$`, a non-space before the closing one and no digit right after it, and holds no other `$`: "$5 and $10"
 * stays text. `failed` keeps the delimiters with no closer left, so that a text full of `$` stays linear.
 */
function mathAt(src: string, i: number, failed: Set<string>): MathSyntax | undefined {
  const two = src.slice(i, i + 2);
  const close = two === '$$' ? '$$' : two === '\\(' ? '\\)' : two === '\\[' ? '\\]' : '';
  if (close) {
    if (failed.has(two)) return undefined;
    const end = src.indexOf(close, i + 2);
    if (end < 0) {
      failed.add(two);
      return undefined;
    }
    const tex = src.slice(i + 2, end);
    return tex.trim() ? { end: end + 2, tex, display: two !== '\\(' } : undefined;
  }
  if (src[i] !== '$' || failed.has('$') || /\s/.test(src[i + 1] ?? ' ')) return undefined;
  for (let j = i + 1; j < src.length; j++) {
    if (src[j] === '\\') {
      j++;
    } else if (src[j] === '$') {
      // The first other `$` closes the formula, or there is none.
      return /\s/.test(src[j - 1]) || /\d/.test(src[j + 1] ?? '') ? undefined : { end: j + 1, tex: src.slice(i + 1, j), display: false };
    }
  }
  failed.add('$');
  return undefined;
}

interface LinkSyntax { readonly end: number; readonly text: string; readonly dest: string }

/** `[text](dest "title")` starting at the `[` at i, or undefined. */
function linkAt(src: string, i: number): LinkSyntax | undefined {
  let depth = 0;
  let j = i;
  for (; j < src.length; j = skip(src, j)) {
    if (src[j] === '[') depth++;
    else if (src[j] === ']' && --depth === 0) break;
  }
  if (j >= src.length || src[j + 1] !== '(') return undefined;
  const m = /^\(\s*(?:<([^<>\n]*)>|((?:\\.|[^\s()\\]|\((?:\\.|[^\s()\\])*\))*))(?:\s+(?:"[^"]*"|'[^']*'|\([^()]*\)))?\s*\)/
    .exec(src.slice(j + 1));
  if (!m) return undefined;
  return { end: j + 1 + m[0].length, text: src.slice(i + 1, j), dest: m[1] ?? m[2] };
}

/** Appends the inline content of `src` to `parent`. */
export function renderInline(src: string, parent: Node, options: InlineOptions = {}): void {
  // Delimiters whose closer search already failed: a later opener of the same kind cannot succeed either, so a
  // paragraph full of unmatched `*` or backticks stays linear.
  const failed = new Set<string>();
  let text = '';
  const flush = () => {
    if (text) parent.appendChild(document.createTextNode(text));
    text = '';
  };
  const add = <T extends Node>(node: T): T => {
    flush();
    return parent.appendChild(node);
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    const rest = src.slice(i);
    if (options.math && (c === '$' || (c === '\\' && (src[i + 1] === '(' || src[i + 1] === '[')))) {
      const math = mathAt(src, i, failed);
      if (math) {
        add(options.math(math.tex, math.display, src.slice(i, math.end)));
        i = math.end;
        continue;
      }
      if (rest.startsWith('$$')) {
        // Not a display formula: neither `$` opens one.
        text += '$$';
        i += 2;
        continue;
      }
    }
    if (c === '\\' && PUNCT.test(src[i + 1] ?? '')) {
      text += src[i + 1];
      i += 2;
      continue;
    }
    if (c === '`') {
      const n = run(src, i, '`');
      const end = failed.has(`\`${n}`) ? -1 : codeEnd(src, i + n, n);
      if (end < 0) {
        failed.add(`\`${n}`);
        text += src.slice(i, i + n);
        i += n;
        continue;
      }
      let code = src.slice(i + n, end).replace(/\n/g, ' ');
      if (/^ .*[^ ].* $/.test(code)) code = code.slice(1, -1);
      add(el('code', '', code));
      i = end + n;
      continue;
    }
    if (c === '[' || (c === '!' && src[i + 1] === '[')) {
      const image = c === '!';
      const link = linkAt(src, image ? i + 1 : i);
      if (link) {
        const href = safeUrl(link.dest);
        if (!href) {
          text += src.slice(i, link.end); // not an allowed URL: the whole syntax stays text
        } else if (image) {
          // Images are not loaded: a link to them, labelled with the alt text.
          add(anchor(href, 'md-image')).appendChild(document.createTextNode(link.text || link.dest));
        } else {
          const a = anchor(href);
          renderInline(link.text, a, options);
          add(a);
        }
        i = link.end;
        continue;
      }
    }
    if (c === '<') {
      const m = /^<([a-z][a-z0-9+.-]{1,31}:[^\s<>]*|[^\s<>@]+@[^\s<>@]+\.[a-z]{2,})>/i.exec(rest);
      if (m) {
        const href = safeUrl(m[1].includes(':') ? m[1] : `mailto:${m[1]}`);
        if (href) add(anchor(href)).appendChild(document.createTextNode(m[1]));
        else text += m[0];
        i += m[0].length;
        continue;
      }
    }
    if (c === 'h' && !WORD.test(src[i - 1] ?? '')) {
      const m = /^https?:\/\/[^\s<>]+/.exec(rest);
      if (m) {
        let url = m[0].replace(/[.,:;!?'"*_~]+$/, '');
        if (url.endsWith(')') && url.split('(').length < url.split(')').length) url = url.slice(0, -1);
        const href = safeUrl(url);
        if (href) {
          add(anchor(href)).appendChild(document.createTextNode(url));
          i += url.length;
          continue;
        }
      }
    }
    if (c === '*' || c === '_' || c === '~') {
      const end = emphasis(src, i, c, add, failed, options);
      if (end > i) {
        i = end;
        continue;
      }
      const n = run(src, i, c);
      text += src.slice(i, i + n);
      i += n;
      continue;
    }
    text += c;
    i++;
  }
  flush();
}

/** Renders emphasis/strong/strikethrough opened at i; returns the index after it, or i when there is none. */
function emphasis(src: string, i: number, ch: string, add: (node: Node) => void, failed: Set<string>, options: InlineOptions): number {
  const n = run(src, i, ch);
  const k = ch === '~' ? 2 : Math.min(n, 2);
  if (failed.has(ch + k) || (ch === '~' && n !== 2) || /\s/.test(src[i + n] ?? ' ') || (ch === '_' && WORD.test(src[i - 1] ?? ''))) return i;
  for (let j = i + n + 1; j < src.length;) {
    if (src[j] !== ch) {
      j = skip(src, j);
      continue;
    }
    const len = run(src, j, ch);
    const fits = len === k || (ch !== '~' && len >= 3);
    if (fits && !/\s/.test(src[j - 1]) && !(ch === '_' && WORD.test(src[j + len] ?? ''))) {
      const node = el(ch === '~' ? 'del' : k === 2 ? 'strong' : 'em');
      renderInline(src.slice(i + k, j + len - k), node, options);
      add(node);
      return j + len;
    }
    j += len;
  }
  failed.add(ch + k);
  return i;
}
