import type { Grammar } from '../highlight.js';

/** Java. */
const grammar: Grammar = {
  rules: ['c-comment', ['s', String.raw`"""[\s\S]*?(?:"""|$)`], 'dq', 'sq', ['k', String.raw`@\w+`], 'number'],
  keywords: 'abstract assert boolean break byte case catch char class const continue default do double else enum extends false final finally float for if implements import instanceof int interface long native new null package private protected public record return sealed short static super switch synchronized this throw throws transient true try var void volatile while yield',
};
export default grammar;
