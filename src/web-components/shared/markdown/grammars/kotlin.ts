import type { Grammar } from '../highlight.js';

/** Kotlin. */
const grammar: Grammar = {
  rules: ['c-comment', 'triple', 'dq', 'sq', ['k', String.raw`@\w+`], 'number'],
  keywords: 'abstract as break by catch class companion const constructor continue data do else enum false final finally for fun if import in init inline interface internal is lateinit null object open operator out override package private protected public return sealed super suspend this throw true try typealias val var vararg when where while',
};
export default grammar;
