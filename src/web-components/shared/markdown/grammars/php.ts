import type { Grammar } from '../highlight.js';

/** PHP. */
const grammar: Grammar = {
  rules: ['c-comment', 'hash-comment', 'dq', 'sq', ['n', String.raw`\$\w+`], ['k', String.raw`<\?(?:php|=)?|\?>`], 'number'],
  keywords: 'abstract and array as break callable case catch class clone const continue declare default do echo else elseif empty enum extends false final finally fn for foreach function global if implements include instanceof interface isset list match namespace new null or print private protected public readonly require return static switch this throw trait true try unset use var while yield',
  caseless: true,
};
export default grammar;
