import type { Grammar } from '../highlight.js';

/** Ruby. */
const grammar: Grammar = {
  rules: [
    'hash-comment',
    'dq',
    'sq',
    ['s', String.raw`(?<![\w:]):[A-Za-z_]\w*[?!]?`],
    ['n', String.raw`@@?\w+|\$\w+`],
    'number',
    ['word', String.raw`[A-Za-z_]\w*[?!]?`],
  ],
  keywords: 'alias and attr_accessor attr_reader begin break case class def defined? do else elsif end ensure false for if in include module next nil not or private protected public puts raise redo require rescue retry return self super then true undef unless until when while yield',
};
export default grammar;
