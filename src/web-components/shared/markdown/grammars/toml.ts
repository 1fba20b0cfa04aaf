import type { Grammar } from '../highlight.js';

/** TOML (and INI): tables and keys are keywords. */
const grammar: Grammar = {
  rules: [
    ['c', String.raw`(?<![^\s])[#;][^\n]*`],
    ['k', String.raw`(?<![^\n])[ \t]*\[[^\]\n]*\]+|[\w.-]+(?=[ \t]*=)`],
    'triple',
    'dq',
    ['s', String.raw`'[^'\n]*'`],
    'number',
  ],
  keywords: 'true false',
};
export default grammar;
