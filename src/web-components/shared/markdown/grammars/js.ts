import type { Grammar } from '../highlight.js';

/** JavaScript and TypeScript (also JSX and TSX). */
const grammar: Grammar = {
  rules: ['c-comment', 'dq', 'sq', 'bt', 'number'],
  keywords: 'abstract any as async await boolean break case catch class const constructor continue debugger declare default delete do else enum export extends false finally for from function get if implements import in infer instanceof interface is keyof let namespace never new null number object of private protected public readonly return satisfies set static string super switch symbol this throw true try type typeof undefined unknown var void while with yield',
};
export default grammar;
