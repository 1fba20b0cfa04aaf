/**
 * The highlighting engine (a small regex tokenizer): its own chunk, imported with the first grammar (./highlight.ts),
 * so that a chat without code never loads it.
 */
import type { Grammar, Rule, TokenKind } from './highlight.js';

/** Rules shared by many grammars, referred to by name so that grammar chunks stay small. */
export const PRESETS = {
  /** `// …` and `/* … *\/` (an unclosed block comment runs to the end). */
  'c-comment': ['c', '//[^\\n]*|/\\*(?:[^*]|\\*(?!/))*(?:\\*/)?'],
  /** `/* … *\/` only. */
  'block-comment': ['c', '/\\*(?:[^*]|\\*(?!/))*(?:\\*/)?'],
  /** `# …` at the start of a line or after a space. */
  'hash-comment': ['c', '(?<![^\\s;])#[^\\n]*'],
  /** Double- and single-quoted strings with backslash escapes, on one line. */
  'dq': ['s', '"(?:\\\\.|[^"\\\\\\n])*"'],
  'sq': ['s', '\'(?:\\\\.|[^\'\\\\\\n])*\''],
  /** Backquoted strings (JS templates, Go raw strings), over lines. */
  'bt': ['s', '`(?:\\\\[\\s\\S]|[^`\\\\])*`'],
  /** Triple-quoted strings (Python, Kotlin, Swift, TOML). */
  'triple': ['s', '"""[\\s\\S]*?(?:"""|$)|\'\'\'[\\s\\S]*?(?:\'\'\'|$)'],
  /** Numbers: decimal, hex, binary, with digits separators, exponents and suffixes. */
  'number': ['n', '\\b(?:0[xXbBoO][\\da-fA-F_]+|\\d[\\d_]*(?:\\.\\d[\\d_]*)?(?:[eE][+-]?\\d+)?)[a-zA-Z]*\\b'],
  /** Identifiers (C-like). */
  'word': ['word', '[A-Za-z_$][\\w$]*'],
} as const satisfies Record<string, Rule>;

export interface Compiled {
  readonly re: RegExp;
  /** The capture group of each rule and its class. */
  readonly groups: readonly (readonly [number, TokenKind | 'word'])[];
  readonly keywords: ReadonlySet<string>;
  readonly caseless: boolean;
}

export function compile(grammar: Grammar): Compiled {
  const rules: Rule[] = grammar.rules.map((rule) => (typeof rule === 'string' ? PRESETS[rule] : rule));
  if (!rules.some(([kind]) => kind === 'word')) rules.push(PRESETS.word);
  const groups: [number, TokenKind | 'word'][] = [];
  let group = 1;
  for (const [kind, source] of rules) {
    groups.push([group, kind]);
    // The rule's own capture groups (if any) come after its outer group.
    group += 1 + new RegExp(`${source}|`).exec('')!.length - 1;
  }
  const caseless = !!grammar.caseless;
  const words = (grammar.keywords ?? '').split(' ').filter(Boolean);
  return {
    re: new RegExp(rules.map(([, source]) => `(${source})`).join('|'), 'g'),
    groups,
    keywords: new Set(caseless ? words.map((w) => w.toLowerCase()) : words),
    caseless,
  };
}

/** The tokens of `code` as a fragment, or undefined when nothing is highlighted. */
export function tokens(code: string, grammar: Compiled): DocumentFragment | undefined {
  const frag = document.createDocumentFragment();
  const { re, groups, keywords, caseless } = grammar;
  re.lastIndex = 0;
  let at = 0;
  for (let m = re.exec(code); m; m = re.exec(code)) {
    if (!m[0]) {
      re.lastIndex++;
      continue;
    }
    let kind: TokenKind | 'word' | '' = '';
    for (const [group, k] of groups) {
      if (m[group] !== undefined) {
        kind = k;
        break;
      }
    }
    if (kind === 'word') kind = keywords.has(caseless ? m[0].toLowerCase() : m[0]) ? 'k' : '';
    if (!kind) continue;
    if (m.index > at) frag.appendChild(document.createTextNode(code.slice(at, m.index)));
    const span = document.createElement('span');
    span.className = `tok-${kind}`;
    span.textContent = m[0];
    frag.appendChild(span);
    at = m.index + m[0].length;
  }
  if (!at) return undefined;
  if (at < code.length) frag.appendChild(document.createTextNode(code.slice(at)));
  return frag;
}
