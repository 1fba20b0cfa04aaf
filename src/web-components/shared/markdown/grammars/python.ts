import type { Grammar } from '../highlight.js';

/** Python. */
const grammar: Grammar = {
  rules: [
    'hash-comment',
    ['s', String.raw`(?:\b[rRbBuUfF]{1,2})?(?:"""[\s\S]*?(?:"""|$)|'''[\s\S]*?(?:'''|$)|"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')`],
    ['k', String.raw`@[\w.]+`],
    'number',
    ['word', String.raw`[A-Za-z_]\w*`],
  ],
  keywords: 'and as assert async await break case class continue def del elif else except False finally for from global if import in is lambda match None nonlocal not or pass raise return self True try while with yield',
};
export default grammar;
