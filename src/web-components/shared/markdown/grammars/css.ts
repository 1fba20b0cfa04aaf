import type { Grammar } from '../highlight.js';

/** CSS (also SCSS and Less): at-rules and property names are keywords. */
const grammar: Grammar = {
  rules: [
    'c-comment',
    'dq',
    'sq',
    ['k', String.raw`@[\w-]+|[\w-]+(?=\s*:[^:{};]*[;}])|!important`],
    ['n', String.raw`#[\da-fA-F]{3,8}\b|(?<![\w-])-?(?:\d*\.)?\d+(?:%|[a-zA-Z]+)?|\$[\w-]+`],
    ['word', '(?!)'],
  ],
};
export default grammar;
