/**
 * The highlighting engine (a small regex tokenizer), the grammars' names and aliases and their loaders: its own chunk,
 * imported by ./highlight.ts for the first finished code block that names a language, so that a chat without code
 * never loads it.
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

/** The grammar modules, by name: each is its own chunk (`bedrock-chat-lang-<name>-[hash].js`). */
const GRAMMARS = {
  c: () => import('./grammars/c.js'),
  csharp: () => import('./grammars/csharp.js'),
  css: () => import('./grammars/css.js'),
  diff: () => import('./grammars/diff.js'),
  dockerfile: () => import('./grammars/dockerfile.js'),
  go: () => import('./grammars/go.js'),
  html: () => import('./grammars/html.js'),
  java: () => import('./grammars/java.js'),
  js: () => import('./grammars/js.js'),
  json: () => import('./grammars/json.js'),
  kotlin: () => import('./grammars/kotlin.js'),
  php: () => import('./grammars/php.js'),
  powershell: () => import('./grammars/powershell.js'),
  python: () => import('./grammars/python.js'),
  ruby: () => import('./grammars/ruby.js'),
  rust: () => import('./grammars/rust.js'),
  shell: () => import('./grammars/shell.js'),
  sql: () => import('./grammars/sql.js'),
  swift: () => import('./grammars/swift.js'),
  toml: () => import('./grammars/toml.js'),
  yaml: () => import('./grammars/yaml.js'),
} satisfies Record<string, () => Promise<{ default: Grammar }>>;

export type GrammarName = keyof typeof GRAMMARS;

/** Other names of each grammar's language in fences (lower case). */
const ALIASES: Readonly<Record<GrammarName, string>> = {
  c: 'h cpp c++ cc cxx hpp hh hxx objc',
  csharp: 'cs c#',
  css: 'scss less',
  diff: 'patch',
  dockerfile: 'docker containerfile',
  go: 'golang',
  html: 'htm xhtml xml svg plist',
  java: '',
  js: 'javascript jsx mjs cjs ts typescript tsx mts cts node',
  json: 'jsonc json5 geojson',
  kotlin: 'kt kts',
  php: '',
  powershell: 'ps1 pwsh ps',
  python: 'py python3 py3',
  ruby: 'rb',
  rust: 'rs',
  shell: 'sh bash zsh ksh console shellsession',
  sql: 'mysql postgresql postgres psql pgsql sqlite plsql tsql',
  swift: '',
  toml: 'ini',
  yaml: 'yml',
};

let names: Map<string, GrammarName> | undefined;

/** The grammar for a fence's language, if there is one. */
export function grammarOf(lang: string): GrammarName | undefined {
  if (!names) {
    names = new Map();
    for (const [name, aliases] of Object.entries(ALIASES) as [GrammarName, string][]) {
      names.set(name, name);
      for (const alias of aliases.split(' ').filter(Boolean)) names.set(alias, name);
    }
  }
  return names.get(lang.toLowerCase());
}

/** Compiled grammars that have arrived. */
const ready = new Map<GrammarName, Compiled>();
/** Grammars being imported. */
const loading = new Map<GrammarName, Promise<Compiled | undefined>>();

function load(name: GrammarName): Promise<Compiled | undefined> {
  let promise = loading.get(name);
  if (!promise) {
    promise = GRAMMARS[name]().then((mod) => {
      const compiled = compile(mod.default);
      ready.set(name, compiled);
      return compiled;
    }, () => {
      loading.delete(name); // a later block may try again (network); this one stays plain
      return undefined;
    });
    loading.set(name, promise);
  }
  return promise;
}

/**
 * Shows `code` in `target` (a `<code>` element): highlighted at once when the language's grammar has already
 * arrived, else as plain text, highlighted in one step when the grammar arrives. Returns that pending work, if any
 * (it never rejects: a grammar that fails to load leaves the text plain).
 */
export function highlightInto(code: string, lang: string, target: HTMLElement): Promise<void> | undefined {
  const name = grammarOf(lang);
  const compiled = name && ready.get(name);
  const frag = compiled ? tokens(code, compiled) : undefined;
  if (frag) target.replaceChildren(frag);
  else target.textContent = code;
  return compiled ? undefined : highlightShown(code, lang, target);
}

/**
 * Highlights `code`, already shown as plain text in `target`: at once when the grammar has arrived, else when it
 * does, once, and only if the element still holds that text.
 */
export function highlightShown(code: string, lang: string, target: HTMLElement): Promise<void> | undefined {
  const name = grammarOf(lang);
  if (!name) return undefined;
  const apply = (grammar: Compiled | undefined) => {
    if (!grammar || target.childNodes.length !== 1 || target.textContent !== code) return;
    const frag = tokens(code, grammar);
    if (frag) target.replaceChildren(frag);
  };
  const compiled = ready.get(name);
  if (!compiled) return load(name).then(apply);
  apply(compiled);
  return undefined;
}
