import type { Grammar } from '../highlight.js';

/** Go. */
const grammar: Grammar = {
  rules: ['c-comment', 'dq', ['s', '`[^`]*`'], ['s', String.raw`'(?:\\.|[^'\\\n])+'`], 'number'],
  keywords: 'any bool break byte case chan const continue default defer else error fallthrough false float64 for func go goto if import int int64 interface iota map nil package range return rune select string struct switch true type uint var',
};
export default grammar;
