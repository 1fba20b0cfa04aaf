import type { Grammar } from '../highlight.js';

/** C#. */
const grammar: Grammar = {
  rules: ['c-comment', ['s', String.raw`\$?@"(?:""|[^"])*"`], ['s', String.raw`\$?"(?:\\.|[^"\\\n])*"`], 'sq', ['k', String.raw`(?<![^\n])[ \t]*#[a-z]+`], 'number'],
  keywords: 'abstract as async await base bool break byte case catch char class const continue decimal default delegate do double else enum event explicit extern false finally float for foreach get if implicit in init int interface internal is lock long namespace new null object operator out override params private protected public readonly record ref return sealed set short static string struct switch this throw true try typeof uint ulong using var virtual void volatile when where while yield',
};
export default grammar;
