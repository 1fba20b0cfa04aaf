import type { Grammar } from '../highlight.js';

/** Swift. */
const grammar: Grammar = {
  rules: ['c-comment', 'triple', 'dq', ['k', String.raw`[@#]\w+`], 'number'],
  keywords: 'actor any as associatedtype async await break case catch class continue default defer deinit do else enum extension fallthrough false fileprivate final for func guard if import in init inout internal is let mutating nil open operator override private protocol public repeat rethrows return self Self some static struct subscript super switch throw throws true try typealias var weak where while',
};
export default grammar;
