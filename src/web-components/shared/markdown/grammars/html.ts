import type { Grammar } from '../highlight.js';

/** HTML and XML: tags are keywords, attribute names numbers, attribute values strings. */
const grammar: Grammar = {
  rules: [
    ['c', String.raw`<!--[\s\S]*?(?:-->|$)`],
    ['k', String.raw`<![A-Za-z][^>]*>|<\?[\s\S]*?\?>|</?[A-Za-z][\w:.-]*|/?>`],
    ['n', String.raw`[\w:.-]+(?=\s*=\s*["'\w])|&#?\w+;`],
    ['s', String.raw`(?<==\s*)(?:"[^"]*"|'[^']*')`],
    ['word', '(?!)'],
  ],
};
export default grammar;
