/**
 * A tiny syntax highlighter for a few common languages: comments, strings, numbers and keywords become
 * `<span class="tok-c|tok-s|tok-n|tok-k">` (text nodes only). Applied once, when a code block is final.
 */
interface Grammar { readonly comment: string; readonly keywords: Set<string> }

const C_COMMENT = '//[^\\n]*|/\\*[\\s\\S]*?(?:\\*/|$)';
const HASH_COMMENT = '#[^\\n]*';
const words = (list: string) => new Set(list.split(' '));

const JS = 'as async await break case catch class const continue default delete do else enum export extends false finally for from function if implements import in instanceof interface let new null of private protected public readonly return static super switch this throw true try type typeof undefined var void while yield';
const GRAMMARS: Record<string, Grammar> = {
  js: { comment: C_COMMENT, keywords: words(JS) },
  py: { comment: HASH_COMMENT, keywords: words('and as assert async await break class continue def del elif else except False finally for from global if import in is lambda None nonlocal not or pass raise return self True try while with yield') },
  sh: { comment: HASH_COMMENT, keywords: words('case do done elif else esac exit export fi for function if in local return then until while') },
  go: { comment: C_COMMENT, keywords: words('break case chan const continue default defer else false fallthrough for func go goto if import interface map nil package range return select struct switch true type var') },
  rust: { comment: C_COMMENT, keywords: words('as async await break const continue crate dyn else enum false fn for if impl in let loop match mod move mut pub ref return self Self static struct super trait true type unsafe use where while') },
  java: { comment: C_COMMENT, keywords: words('abstract boolean break byte case catch char class const continue default do double else enum extends false final finally float for if implements import instanceof int interface long new null package private protected public return short static super switch this throw throws true try void volatile while auto bool include namespace std struct template typedef using') },
  json: { comment: '(?!)', keywords: words('true false null') },
  yaml: { comment: HASH_COMMENT, keywords: words('true false null yes no') },
  sql: { comment: '--[^\\n]*', keywords: words('select from where and or not insert into values update set delete create table drop alter join left right inner outer on group by order having limit as null is in like primary key') },
};
const ALIASES: Record<string, string> = {
  'javascript': 'js',
  'jsx': 'js',
  'ts': 'js',
  'typescript': 'js',
  'tsx': 'js',
  'mjs': 'js',
  'python': 'py',
  'bash': 'sh',
  'shell': 'sh',
  'zsh': 'sh',
  'console': 'sh',
  'golang': 'go',
  'rs': 'rust',
  'c': 'java',
  'cpp': 'java',
  'c++': 'java',
  'csharp': 'java',
  'cs': 'java',
  'kotlin': 'java',
  'yml': 'yaml',
};
const STRING = '"(?:\\\\.|[^"\\\\\\n])*"|\'(?:\\\\.|[^\'\\\\\\n])*\'|`(?:\\\\[\\s\\S]|[^`\\\\])*`';

/** Appends `code` to `parent`, highlighted when `lang` is known. */
export function highlight(code: string, lang: string, parent: Node): void {
  const name = lang.toLowerCase();
  const grammar = GRAMMARS[ALIASES[name] ?? name];
  if (!grammar) {
    parent.appendChild(document.createTextNode(code));
    return;
  }
  const sql = grammar === GRAMMARS.sql;
  const re = new RegExp(`(${grammar.comment})|(${STRING})|(\\b\\d[\\w.]*)|([A-Za-z_$][\\w$]*)`, 'g');
  let at = 0;
  const text = (s: string) => s && parent.appendChild(document.createTextNode(s));
  for (let m = re.exec(code); m; m = re.exec(code)) {
    if (!m[0]) {
      re.lastIndex++;
      continue;
    }
    const kind = m[1] ? 'c' : m[2] ? 's' : m[3] ? 'n' : grammar.keywords.has(sql ? m[0].toLowerCase() : m[0]) ? 'k' : '';
    if (!kind) continue;
    text(code.slice(at, m.index));
    const span = document.createElement('span');
    span.className = `tok-${kind}`;
    span.textContent = m[0];
    parent.appendChild(span);
    at = m.index + m[0].length;
  }
  text(code.slice(at));
}
