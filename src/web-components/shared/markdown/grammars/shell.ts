import type { Grammar } from '../highlight.js';

/** POSIX shell, Bash, Zsh (and console sessions). */
const grammar: Grammar = {
  rules: [
    'hash-comment',
    'dq',
    ['s', String.raw`'[^']*'`],
    ['n', String.raw`\$(?:\{[^}\n]*\}|[\w@*#?$!-])`],
    'number',
    ['word', String.raw`[A-Za-z_][\w-]*`],
  ],
  keywords: 'case cd declare do done echo elif else esac eval exec exit export fi for function if in local read readonly return select set shift source then time trap unset until while',
};
export default grammar;
