import type { Grammar } from '../highlight.js';

/** SQL (keywords in any case). */
const grammar: Grammar = {
  rules: [['c', '--[^\\n]*'], 'block-comment', ['s', String.raw`'(?:''|[^'])*'`], 'dq', 'number', ['word', String.raw`[A-Za-z_]\w*`]],
  keywords: 'add all alter and as asc between by case cast check column constraint count create cross database default delete desc distinct drop else end exists false foreign from full group having in index inner insert integer into is join key left like limit not null offset on or order outer primary references returning right select set table then true union unique update values varchar view when where with',
  caseless: true,
};
export default grammar;
