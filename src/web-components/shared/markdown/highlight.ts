/**
 * Syntax highlighting of finished code blocks. The engine (./highlight-engine.ts, a small regex tokenizer) is a chunk
 * of its own, imported with the first grammar; each language's grammar is data in its own module
 * (`grammars/<name>.ts`), a small chunk of its own that is imported the first time a finished block in that language
 * is shown. Until both arrive the block shows plain text; then its text is split, once, into `<span class="tok-…">`
 * and text nodes (createElement and text nodes only).
 */
import type { Compiled, PRESETS } from './highlight-engine.js';

type Engine = typeof import('./highlight-engine.js');

/** Token classes: comment, string, number (also variables, attribute names), keyword; diff's added/removed lines. */
export type TokenKind = 'c' | 's' | 'n' | 'k' | 'add' | 'del';

/**
 * One token rule: its class and a regular expression source (no flags; may use lookbehind). Earlier rules win at the
 * same position. `word` rules are identifiers: highlighted as keywords when they are in `keywords`.
 */
export type Rule = readonly [TokenKind | 'word', string];

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

/** Compiled grammars that have arrived, with the engine's tokenizer. */
const ready = new Map<GrammarName, Compiled>();
let engine: Engine | undefined;
/** Grammars being imported. */
const loading = new Map<GrammarName, Promise<Compiled | undefined>>();

function load(name: GrammarName): Promise<Compiled | undefined> {
  let promise = loading.get(name);
  if (!promise) {
    promise = Promise.all([import('./highlight-engine.js'), GRAMMARS[name]()]).then(([e, mod]) => {
      engine = e;
      const compiled = e.compile(mod.default);
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
  const frag = compiled && engine ? engine.tokens(code, compiled) : undefined;
  if (frag) target.replaceChildren(frag);
  else target.textContent = code;
  if (!name || compiled) return undefined;
  return load(name).then((grammar) => {
    // Once, and only over the text it was given.
    if (!grammar || target.childNodes.length !== 1 || target.textContent !== code) return;
    const later = engine!.tokens(code, grammar);
    if (later) target.replaceChildren(later);
  });
}
