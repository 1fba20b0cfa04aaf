/**
 * Syntax highlighting of finished code blocks. The engine (this module, in the full chunk) is a small regex
 * tokenizer; each language's grammar is data in its own module (`grammars/<name>.ts`), a small chunk of its own that
 * is imported the first time a finished block in that language is shown. Until it arrives the block shows plain text;
 * then its text is split, once, into `<span class="tok-…">` and text nodes (createElement and text nodes only).
 */

/** Token classes: comment, string, number (also variables, attribute names), keyword; diff's added/removed lines. */
export type TokenKind = 'c' | 's' | 'n' | 'k' | 'add' | 'del';

/**
 * One token rule: its class and a regular expression source (no flags; may use lookbehind). Earlier rules win at the
 * same position. `word` rules are identifiers: highlighted as keywords when they are in `keywords`.
 */
export type Rule = readonly [TokenKind | 'word', string];

/** Rules shared by many grammars, referred to by name so that grammar chunks stay small. */
const PRESETS = {
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

export type Preset = keyof typeof PRESETS;

/** A language: token rules in priority order (a `word` rule is added when none is given) and its keywords. */
export interface Grammar {
  readonly rules: readonly (Rule | Preset)[];
  /** Space-separated keywords (matched against `word` tokens). */
  readonly keywords?: string;
  /** Keywords match whatever their case (SQL, PowerShell, PHP). */
  readonly caseless?: boolean;
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

interface Compiled {
  readonly re: RegExp;
  /** The capture group of each rule and its class. */
  readonly groups: readonly (readonly [number, TokenKind | 'word'])[];
  readonly keywords: ReadonlySet<string>;
  readonly caseless: boolean;
}

function compile(grammar: Grammar): Compiled {
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

/** The tokens of `code` as a fragment, or undefined when nothing is highlighted. */
function tokens(code: string, grammar: Compiled): DocumentFragment | undefined {
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
  if (!name || compiled) return undefined;
  return load(name).then((grammar) => {
    // Once, and only over the text it was given.
    if (!grammar || target.childNodes.length !== 1 || target.textContent !== code) return;
    const later = tokens(code, grammar);
    if (later) target.replaceChildren(later);
  });
}
