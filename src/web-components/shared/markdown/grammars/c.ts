import type { Grammar } from '../highlight.js';

/** C and C++ (preprocessor lines are keywords). */
const grammar: Grammar = {
  rules: ['c-comment', ['k', String.raw`(?<![^\n])[ \t]*#[ \t]*[a-z]+`], ['s', String.raw`\bR"[^(\s]{0,16}\([\s\S]*?\)[^"\s]{0,16}"`], 'dq', 'sq', 'number'],
  keywords: 'alignas auto bool break case catch char class const constexpr continue default delete do double else enum explicit extern false float for friend goto if inline int long namespace new noexcept nullptr operator override private protected public return short signed sizeof static static_cast struct switch template this throw true try typedef typename union unsigned using virtual void volatile while',
};
export default grammar;
