import type { Grammar } from '../highlight.js';

/** JSON (and JSON with comments). */
const grammar: Grammar = {
  rules: ['c-comment', 'dq', ['n', String.raw`-?\b\d+(?:\.\d+)?(?:[eE][+-]?\d+)?\b`]],
  keywords: 'true false null',
};
export default grammar;
