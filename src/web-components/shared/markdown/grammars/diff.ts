import type { Grammar } from '../highlight.js';

/** Unified diffs: added and removed lines, headers and hunk lines as comments. */
const grammar: Grammar = {
  rules: [
    ['c', String.raw`(?<![^\n])(?:\+\+\+|---|@@|diff |index )[^\n]*`],
    ['add', String.raw`(?<![^\n])[+>][^\n]*`],
    ['del', String.raw`(?<![^\n])[-<][^\n]*`],
    ['word', '(?!)'],
  ],
};
export default grammar;
