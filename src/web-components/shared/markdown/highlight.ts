/**
 * Syntax highlighting of finished code blocks. The engine (./highlight-engine.ts: a small regex tokenizer, the
 * languages' names and aliases) is a chunk of its own, imported for the first block that names a language; each
 * language's grammar is data in its own module (`grammars/<name>.ts`), a small chunk of its own that is imported the
 * first time a finished block in that language is shown. Until both arrive the block shows plain text; then its text
 * is split, once, into `<span class="tok-…">` and text nodes (createElement and text nodes only).
 */
import type { PRESETS } from './highlight-engine.js';

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

let engine: Engine | undefined;
let engineLoading: Promise<Engine | undefined> | undefined;

function loadEngine(): Promise<Engine | undefined> {
  engineLoading ??= import('./highlight-engine.js').then((e) => (engine = e), () => {
    engineLoading = undefined; // a later block may try again (network); this one stays plain
    return undefined;
  });
  return engineLoading;
}

/**
 * Shows `code` in `target` (a `<code>` element): highlighted at once when the engine and the language's grammar have
 * already arrived, else as plain text, highlighted in one step when they arrive. Returns that pending work, if any
 * (it never rejects: a chunk that fails to load leaves the text plain). A block that names no language loads nothing.
 */
export function highlightInto(code: string, lang: string, target: HTMLElement): Promise<void> | undefined {
  if (engine) return engine.highlightInto(code, lang, target);
  target.textContent = code;
  if (!lang.trim()) return undefined;
  return loadEngine().then((e) => e?.highlightShown(code, lang, target));
}
