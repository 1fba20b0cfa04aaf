import type { Grammar } from '../highlight.js';

/** YAML: keys are keywords. */
const grammar: Grammar = {
  rules: [
    'hash-comment',
    ['k', String.raw`[\w.-]+(?=[ \t]*:(?!\S))|(?<![^\n])---(?!\S)`],
    'dq',
    ['s', String.raw`'(?:''|[^'\n])*'`],
    ['n', String.raw`[&*][\w-]+`],
    'number',
  ],
  keywords: 'true false null yes no on off True False Null TRUE FALSE NULL',
};
export default grammar;
