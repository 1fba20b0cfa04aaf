import type { Grammar } from '../highlight.js';

/** Rust (lifetimes such as `'a` are not strings). */
const grammar: Grammar = {
  rules: [
    'c-comment',
    ['s', String.raw`\bb?r#*"[\s\S]*?"#*`],
    ['s', String.raw`(?:\bb)?"(?:\\[\s\S]|[^"\\])*"`],
    ['s', String.raw`(?:\bb)?'(?:\\(?:x[\da-fA-F]{2}|u\{[\da-fA-F]{1,6}\}|.)|[^'\\\n])'`],
    ['k', String.raw`\b[a-z_]\w*!`],
    'number',
  ],
  keywords: 'as async await bool break char const continue crate dyn else enum extern f32 f64 false fn for i32 i64 if impl in let loop match mod move mut pub ref return self Self static str String struct super trait true type u8 u32 u64 unsafe use usize where while',
};
export default grammar;
