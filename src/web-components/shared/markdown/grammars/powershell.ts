import type { Grammar } from '../highlight.js';

/** PowerShell (keywords in any case; cmdlet names are keywords too). */
const grammar: Grammar = {
  rules: [
    ['c', String.raw`<#[\s\S]*?(?:#>|$)|#[^\n]*`],
    ['s', String.raw`@"[\s\S]*?(?:"@|$)|@'[\s\S]*?(?:'@|$)|"(?:\x60.|[^"\x60\n])*"|'(?:''|[^'\n])*'`],
    ['n', String.raw`\$(?:\{[^}\n]*\}|[\w:]+)`],
    ['k', String.raw`\b[A-Z][a-z]+-[A-Z]\w*|(?<!\w)-[A-Za-z]+\b`],
    'number',
    ['word', String.raw`[A-Za-z_][\w-]*`],
  ],
  keywords: 'begin break catch class continue do else elseif end enum exit filter finally for foreach function if in param process return switch throw trap try until while',
  caseless: true,
};
export default grammar;
