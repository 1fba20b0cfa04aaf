/// <reference lib="dom" />
/**
 * Streaming markdown of <bedrock-chat> answers, in real Chromium: the renderer module on its own (chunking does not
 * change the result; finished blocks are never touched again but for their one-time highlighting; grammars per
 * language; math to MathML), an XSS corpus streamed through the fake protocol v1 backend (with and without a strict
 * CSP, also inside formulas), rich answers (tables, lists, code with a working copy button, headings), the lazily
 * loaded grammar and math chunks of the bundle (only those an answer needs), axe-core, and the bundle size. Needs the
 * built bundle: `npx projen bundle:web`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { ASSISTANT_TEXT, axeViolations, BUNDLE, chromiumSession, describeBrowser, FakeBackend } from './fake-backend';
import { buildMarkdownModule } from './markdown-module';
import { auditMarkup, MATH_XSS_DOC, MATH_XSS_REFUSED, MATHML_ALLOW, XSS_ALLOWED_ANCHORS, XSS_DOC, XSS_LITERALS } from './xss-corpus';

/** A long document with every supported block and inline construct. */
const DOC = `# Streaming markdown

A paragraph with **strong**, *emphasis*, _underscores_, ***both***, ~~strike~~, \`inline code\`, a
[link](https://example.com/a_(b)?q=1 "title"), an autolink <https://example.org/x>, a bare URL https://example.net/path.
and an image ![diagram](https://example.com/d.png) plus snake_case_words and 2 * 3 * 4.

## Lists

- first
- second with \`code\`
  - nested one
  - nested two
    1. deep ordered
    2. deep again
- third

3. starts at three
4. four
   continued lazily

   a second paragraph in four

1) Install:
   \`\`\`bash
   npm install cdk-bedrock-chat # comment
   \`\`\`
2) Done

### Table

| Left | Center | Right | Plain |
|:-----|:------:|------:|-------|
| a | **b** | 1.5 | \`x\\|y\` |
| longer cell | c | 22 |
| d | e | 333 | f |

> A quote with *emphasis*
> - and a list
continued lazily

---

\`\`\`ts
// a comment
const answer: number = 42;
function greet(name: string): string {
  return \`hello \${name}\`; /* block */
}
\`\`\`

~~~python
def f(x):
    return "s" + 'q'  # done
~~~

\`\`\`
no language <b>here</b>
\`\`\`

Raw <b>html</b> stays text; entities &amp; &#106; are decoded.
Last line without a newline`;


const RICH = `# Release notes

Intro with **bold**, *em*, ~~old~~, \`code\` and a [link](https://example.com/docs).

## Steps

1. Install:
   \`\`\`bash
   npm install cdk-bedrock-chat
   \`\`\`
2. Deploy
   - nested bullet
   - another

| Name | Count | Note |
|:-----|------:|:----:|
| a | 1 | x |
| b | 22 | y |

> A quote

---

\`\`\`ts
const answer: number = 42; // the answer
console.log("done");
\`\`\``;

/** The part of the markdown module (built for the browser in beforeAll) that the tests use. */
interface MarkdownModule {
  MarkdownStream: new (root: HTMLElement, options?: { math?: boolean }) => {
    append(delta: string): void;
    end(): void;
    settled(): Promise<void>;
  };
  /** The parser is its own chunk: loaded once per page, then streams render synchronously. */
  loadParser(): Promise<unknown>;
}

/** Splits a text into chunks of 1..max characters. */
function chunks(text: string, max: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length;) {
    const n = 1 + ((i * 7919 + text.length) % max);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

/** A text as deltas of 1..12 characters. */
const chunks12 = (text: string) => chunks(text, 12);


describeBrowser('markdown answers of <bedrock-chat> in Chromium', () => {
  const backend = new FakeBackend();
  const moduleDir = mkdtempSync(join(tmpdir(), 'bedrock-chat-markdown-'));
  const chromium = chromiumSession(backend, { permissions: ['clipboard-read', 'clipboard-write'] });
  let page: Page;

  beforeAll(async () => {
    await buildMarkdownModule(moduleDir);
    // markdown.js and its lazily imported chunks (one per grammar, the math converter), next to it (the backend
    // looks them up per request).
    for (const file of readdirSync(moduleDir)) backend.files.set(`/${file}`, join(moduleDir, file));
    backend.answers.set('xss please', chunks(XSS_DOC, 24));
    backend.answers.set('rich please', chunks(RICH, 12));
  });

  afterAll(() => {
    rmSync(moduleDir, { recursive: true, force: true });
  });

  beforeEach(() => {
    page = chromium.page;
  });

  async function openPage(path = '/test.html'): Promise<void> {
    await page.goto(`${backend.origin}${path}`);
    await page.waitForFunction(() => (window as unknown as { testReady?: boolean }).testReady === true);
    await page.locator('[part="input"]').and(page.locator(':enabled')).waitFor();
  }

  async function finishedAnswers(): Promise<number> {
    return page.evaluate(() => (window as unknown as { events: { type: string }[] }).events.filter((e) => e.type === 'bedrock-chat-message').length);
  }

  async function ask(text: string): Promise<void> {
    const before = await finishedAnswers();
    await page.locator('[part="input"]').fill(text);
    await page.locator('[part="input"]').press('Enter');
    await page.waitForFunction((n) => (window as unknown as { events: { type: string }[] }).events
      .filter((e) => e.type === 'bedrock-chat-message').length > n, before, { timeout: 20_000 });
  }

  test('the renderer gives the same DOM whatever the chunking (random chunk sizes, one character at a time)', async () => {
    await openPage();
    const result = await page.evaluate(async (doc) => {
      const { MarkdownStream, loadParser } = await import('/markdown.js' as string) as MarkdownModule;
      await loadParser();
      const render = (parts: string[]) => {
        const root = document.createElement('div');
        const stream = new MarkdownStream(root);
        for (const part of parts) stream.append(part);
        stream.end();
        return { root, settled: stream.settled() };
      };
      // The first rendering loads the grammars (its blocks are highlighted when they arrive); later ones find them.
      const first = render([doc]);
      await first.settled;
      const once = first.root;
      const mismatches: string[] = [];
      for (let seed = 1; seed <= 40; seed++) {
        let state = seed;
        const random = () => {
          state = (state * 1103515245 + 12345) % 2147483648;
          return state / 2147483648;
        };
        const max = seed % 4 === 0 ? 200 : 1 + Math.floor(random() * 30);
        const parts: string[] = [];
        for (let i = 0; i < doc.length;) {
          const n = 1 + Math.floor(random() * max);
          parts.push(doc.slice(i, i + n));
          i += n;
        }
        const chunked = render(parts);
        await chunked.settled;
        if (chunked.root.innerHTML !== once.innerHTML) mismatches.push(`seed ${seed}`);
      }
      const t0 = performance.now();
      const byChar = render([...doc]);
      const charMs = performance.now() - t0;
      await byChar.settled;
      if (byChar.root.innerHTML !== once.innerHTML) mismatches.push('one character at a time');
      // A pathological paragraph (unmatched delimiters everywhere), streamed in small chunks.
      const bad = Array.from({ length: 2000 }, (_, i) => ['*a', '_b ', '`c', '[d', '~~e', '**f'][i % 6]).join(' ');
      const t1 = performance.now();
      render(bad.match(/[\s\S]{1,40}/g)!);
      const badMs = performance.now() - t1;
      const count = (selector: string) => once.querySelectorAll(selector).length;
      return {
        mismatches,
        charMs,
        badMs,
        badLength: bad.length,
        length: doc.length,
        blocks: [...once.children].map((c) => c.tagName.toLowerCase() + (c.className ? `.${c.className}` : '')),
        counts: {
          'ul > li > ul > li > ol > li': count('ul > li > ul > li > ol > li'),
          'ol[start="3"] > li': count('ol[start="3"] > li'),
          'li > p': count('li > p'),
          'li .md-code': count('li .md-code'),
          'th': count('th'),
          'tbody tr': count('tbody tr'),
          'td': count('td'),
          'blockquote ul': count('blockquote ul'),
          'del': count('del'),
          'strong': count('strong'),
          'em': count('em'),
          'strong > em': count('strong > em'),
          'em > strong': count('em > strong'),
          'a': count('a'),
          'a.md-image': count('a.md-image'),
          'img': count('img'),
          '.tok-k': count('.tok-k'),
          '.tok-s': count('.tok-s'),
          '.tok-c': count('.tok-c'),
          '.tok-n': count('.tok-n'),
          'b': count('b'),
        },
        align: [...once.querySelectorAll('th')].map((th) => th.className),
        links: [...once.querySelectorAll('a')].map((a) => [a.getAttribute('href'), a.textContent]),
        langs: [...once.querySelectorAll('.md-lang')].map((l) => l.textContent),
        code: once.querySelector('code.language-ts')?.textContent,
        pipeCell: once.querySelectorAll('tbody tr')[0]?.lastElementChild?.textContent,
        last: once.lastElementChild?.textContent,
      };
    }, DOC);
    // eslint-disable-next-line no-console
    console.log(`markdown: ${result.length} characters streamed one at a time in ${result.charMs.toFixed(1)} ms; `
      + `a ${result.badLength}-character paragraph of unmatched delimiters in 40-character chunks in ${result.badMs.toFixed(1)} ms`);
    expect(result.mismatches).toEqual([]);
    expect(result.blocks).toEqual(['h1', 'p', 'h2', 'ul', 'ol', 'ol', 'h3', 'div.md-table', 'blockquote', 'hr',
      'div.md-code', 'div.md-code', 'div.md-code', 'p']);
    expect(result.counts).toEqual({
      'ul > li > ul > li > ol > li': 2,
      'ol[start="3"] > li': 2,
      // CommonMark: a list with a blank line between items (the one starting at 3) is loose: every item's text is a
      // paragraph (two in item four, one in item three).
      'li > p': 3,
      'li .md-code': 1,
      'th': 4,
      'tbody tr': 3,
      'td': 12,
      'blockquote ul': 1,
      'del': 1,
      'strong': 3,
      'em': 4,
      // `***both***` is <em><strong> in CommonMark.
      'strong > em': 0,
      'em > strong': 1,
      'a': 4,
      'a.md-image': 1,
      'img': 0,
      '.tok-k': expect.any(Number),
      '.tok-s': expect.any(Number),
      '.tok-c': expect.any(Number),
      '.tok-n': expect.any(Number),
      'b': 0,
    });
    expect(Math.min(result.counts['.tok-k'], result.counts['.tok-s'], result.counts['.tok-c'], result.counts['.tok-n'])).toBeGreaterThan(0);
    expect(result.align).toEqual(['md-left', 'md-center', 'md-right', '']);
    expect(result.links).toEqual([
      ['https://example.com/a_(b)?q=1', 'link'],
      ['https://example.org/x', 'https://example.org/x'],
      ['https://example.net/path', 'https://example.net/path'],
      ['https://example.com/d.png', 'diagram'],
    ]);
    expect(result.langs).toEqual(['bash', 'ts', 'python', 'text']);
    expect(result.code).toBe('// a comment\nconst answer: number = 42;\nfunction greet(name: string): string {\n  return `hello ${name}`; /* block */\n}');
    expect(result.pipeCell).toBe('x|y');
    expect(result.last).toBe('Raw <b>html</b> stays text; entities & j are decoded.\nLast line without a newline');
  });

  test('finished blocks keep their DOM nodes and are never mutated while later blocks stream', async () => {
    await openPage();
    const result = await page.evaluate(async () => {
      const { MarkdownStream, loadParser } = await import('/markdown.js' as string) as MarkdownModule;
      await loadParser();
      // The js grammar is there already (a block's one-time highlighting when its grammar arrives is tested below).
      const warm = new MarkdownStream(document.createElement('div'));
      warm.append('```js\nlet x;\n```\n');
      await warm.settled();
      const root = document.body.appendChild(document.createElement('div'));
      const stream = new MarkdownStream(root);
      const first = '# Title\n\nFirst paragraph with **bold**\nover two lines.\n\n- one\n- two\n  - nested\n\n```js\nconst a = 1;\n```\n| a | b |\n|---|--:|\n| 1 | 2 |\n\nThe open para';
      const second = 'graph goes on.\n\n> a quote\n\n1. item\n2. item\n\n```py\nx = 1\n```\n\nThe end.';
      for (const c of first) stream.append(c);
      const finals = [...root.children].slice(0, -1);
      const before = finals.map((n) => n.outerHTML);
      const openBefore = root.lastElementChild!;
      const records: string[] = [];
      const observer = new MutationObserver((list) => records.push(...list.map((r) => `${r.type} in ${(r.target as Element).tagName ?? 'text'}`)));
      for (const node of finals) observer.observe(node, { subtree: true, childList: true, attributes: true, characterData: true });
      for (const c of second) stream.append(c);
      stream.end();
      await stream.settled();
      records.push(...observer.takeRecords().map((r) => r.type));
      observer.disconnect();
      return {
        highlighted: finals[3].querySelectorAll('.tok-k').length,
        finals: finals.map((n) => n.tagName.toLowerCase()),
        same: finals.map((n, i) => root.children[i] === n),
        unchanged: finals.map((n, i) => n.outerHTML === before[i]),
        records,
        openReplaced: openBefore.isConnected === false,
        after: [...root.children].slice(finals.length).map((n) => `${n.tagName.toLowerCase()}:${n.textContent}`),
      };
    });
    expect(result.finals).toEqual(['h1', 'p', 'ul', 'div', 'div']);
    expect(result.highlighted).toBe(1); // `const`, highlighted when the block was finished
    expect(result.same).toEqual([true, true, true, true, true]);
    expect(result.unchanged).toEqual([true, true, true, true, true]);
    expect(result.records).toEqual([]);
    // The open block was rendered again as it grew (and finally once more, as a finished block).
    expect(result.openReplaced).toBe(true);
    expect(result.after).toEqual(['p:The open paragraph goes on.', 'blockquote:a quote', 'ol:itemitem', 'div:pyCopyx = 1', 'p:The end.']);
  });

  test('a code block shows plain text at once and is highlighted once, when its grammar arrives; a failed grammar leaves it plain', async () => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    await openPage();
    // The python grammar cannot be loaded on this page.
    await page.route(/\/python-[\w-]+\.m?js$/, (route) => route.abort());
    const result = await page.evaluate(async () => {
      const { MarkdownStream, loadParser } = await import('/markdown.js' as string) as MarkdownModule;
      await loadParser();
      const code = 'func main() {\n  return "go" // done\n}';
      const render = (text: string) => {
        const root = document.body.appendChild(document.createElement('div'));
        const stream = new MarkdownStream(root);
        stream.append(text);
        stream.end();
        return { root, stream };
      };
      const first = render(`\`\`\`go\n${code}\n\`\`\``);
      const codeEl = first.root.querySelector('code')!;
      const records: string[] = [];
      const observer = new MutationObserver((list) => records.push(...list.map((r) => `${r.type} in ${(r.target as Element).tagName}`)));
      observer.observe(first.root, { subtree: true, childList: true, attributes: true, characterData: true });
      const plain = { spans: codeEl.children.length, text: codeEl.textContent };
      await first.stream.settled();
      await first.stream.settled(); // nothing more to wait for
      records.push(...observer.takeRecords().map((r) => `${r.type} in ${(r.target as Element).tagName}`));
      observer.disconnect();
      const highlighted = {
        tokens: [...codeEl.children].map((e) => `${e.className}:${e.textContent}`),
        text: codeEl.textContent,
        sameElement: first.root.querySelector('code') === codeEl,
      };
      // The grammar is there now: the next block in that language is highlighted as it is rendered.
      const second = render('```golang\nreturn nil\n```');
      const atOnce = [...second.root.querySelector('code')!.children].map((e) => `${e.className}:${e.textContent}`);
      // A grammar that fails to load: the block stays plain, without an error, also on a later attempt.
      const failed = render('```py\ndef f(): return 1\n```');
      await failed.stream.settled();
      const again = render('```python\nimport os\n```');
      await again.stream.settled();
      return {
        code,
        plain,
        records,
        highlighted,
        atOnce,
        failed: [failed, again].map(({ root }) => ({ spans: root.querySelector('code')!.children.length, text: root.querySelector('code')!.textContent })),
      };
    });
    expect(result.plain).toEqual({ spans: 0, text: result.code });
    // One change, to the code element's children: the highlighting, applied once.
    expect(result.records).toEqual(['childList in CODE']);
    expect(result.highlighted).toEqual({
      tokens: ['tok-k:func', 'tok-k:return', 'tok-s:"go"', 'tok-c:// done'],
      text: result.code,
      sameElement: true,
    });
    expect(result.atOnce).toEqual(['tok-k:return', 'tok-k:nil']);
    expect(result.failed).toEqual([{ spans: 0, text: 'def f(): return 1' }, { spans: 0, text: 'import os' }]);
    expect(errors).toEqual([]);
  });

  test('every language gets its grammar (one chunk each, only for the languages present)', async () => {
    await openPage();
    const samples: Record<string, { code: string; tokens: string[] }> = {
      js: { code: '// c\nconst s = \'a\' + `t${x}` + 42;', tokens: ['c:// c', 'k:const', 's:\'a\'', 's:`t${x}`', 'n:42'] },
      tsx: { code: 'export type T = { a: number };', tokens: ['k:export', 'k:type', 'k:number'] },
      python: { code: 'def f(x):\n    return f"v{x}" + 0x1F  # done\n@cache', tokens: ['k:def', 'k:return', 's:f"v{x}"', 'n:0x1F', 'c:# done', 'k:@cache'] },
      bash: { code: 'export A="$HOME" # c\necho ${A} $1', tokens: ['k:export', 's:"$HOME"', 'c:# c', 'k:echo', 'n:${A}', 'n:$1'] },
      go: { code: 'func main() { s := `raw`; return nil }', tokens: ['k:func', 's:`raw`', 'k:return', 'k:nil'] },
      rust: { code: 'fn f<\'a>(x: &\'a str) -> char { \'x\' }', tokens: ['k:fn', 'k:str', 'k:char', 's:\'x\''] },
      java: { code: '@Override public int n = 0b101; // c', tokens: ['k:@Override', 'k:public', 'k:int', 'n:0b101', 'c:// c'] },
      cpp: { code: '#include <vector>\nint main() { return 0; }', tokens: ['k:#include', 'k:int', 'k:return', 'n:0'] },
      csharp: { code: 'var s = $"x{y}"; // c', tokens: ['k:var', 's:$"x{y}"', 'c:// c'] },
      kotlin: { code: 'fun f(): String = """raw"""', tokens: ['k:fun', 's:"""raw"""'] },
      swift: { code: 'let x: Int = 1 // c', tokens: ['k:let', 'n:1', 'c:// c'] },
      php: { code: '<?php $x = "a"; echo $x; ?>', tokens: ['k:<?php', 'n:$x', 's:"a"', 'k:echo', 'k:?>'] },
      ruby: { code: 'def f = puts :sym, @v # c', tokens: ['k:def', 'k:puts', 's::sym', 'n:@v', 'c:# c'] },
      sql: { code: 'SELECT name FROM t WHERE id = \'x\' -- c', tokens: ['k:SELECT', 'k:FROM', 'k:WHERE', 's:\'x\'', 'c:-- c'] },
      json: { code: '{"a": [1, true, null]}', tokens: ['s:"a"', 'n:1', 'k:true', 'k:null'] },
      yaml: { code: 'key: "v" # c\nlist:\n  - 3', tokens: ['k:key', 's:"v"', 'c:# c', 'k:list', 'n:3'] },
      toml: { code: '[tool]\nname = "x" # c\nn = 1', tokens: ['k:[tool]', 'k:name', 's:"x"', 'c:# c', 'k:n', 'n:1'] },
      html: { code: '<!-- c -->\n<a href="x">t</a>', tokens: ['c:<!-- c -->', 'k:<a', 'n:href', 's:"x"', 'k:>', 'k:</a'] },
      css: { code: '@media print { .a { color: #fff; margin: 0 2px; } } /* c */', tokens: ['k:@media', 'k:color', 'n:#fff', 'k:margin', 'n:0', 'n:2px', 'c:/* c */'] },
      diff: { code: '--- a/f\n+++ b/f\n@@ -1 +1 @@\n-old\n+new\n same', tokens: ['c:--- a/f', 'c:+++ b/f', 'c:@@ -1 +1 @@', 'del:-old', 'add:+new'] },
      dockerfile: { code: 'FROM node:20 AS build\n# c\nRUN npm ci', tokens: ['k:FROM', 'k:AS', 'c:# c', 'k:RUN'] },
      powershell: { code: '$x = Get-Item -Path "a" # c', tokens: ['n:$x', 'k:Get-Item', 'k:-Path', 's:"a"', 'c:# c'] },
      brainfuck: { code: '++[>+<-]', tokens: [] },
    };
    const result = await page.evaluate(async (all) => {
      const { MarkdownStream, loadParser } = await import('/markdown.js' as string) as MarkdownModule;
      await loadParser();
      const root = document.createElement('div');
      const stream = new MarkdownStream(root);
      stream.append(Object.entries(all).map(([lang, { code }]) => `\`\`\`${lang}\n${code}\n\`\`\``).join('\n\n'));
      stream.end();
      await stream.settled();
      const blocks = [...root.querySelectorAll('code')].map((code) => ({
        lang: code.className.replace('language-', ''),
        text: code.textContent,
        tokens: [...code.children].map((e) => `${e.className.replace('tok-', '')}:${e.textContent}`),
        foreign: [...code.querySelectorAll('*')].filter((e) => e.tagName !== 'SPAN' || !/^tok-(?:c|s|n|k|add|del)$/.test(e.className)).length,
      }));
      const scripts = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname.slice(1));
      // the grammar chunks (not the module, the parser's chunk `parse-…`, nor the highlighting engine's)
      const loaded = scripts
        .filter((name) => name !== 'markdown.js' && !name.startsWith('bedrock-chat') && !name.startsWith('parse-') && /\.m?js$/.test(name))
        .filter((name) => !name.startsWith('highlight-engine-'))
        .map((name) => name.replace(/-[\w-]+\.m?js$/, ''))
        .sort();
      return { blocks, chunks: loaded, engine: scripts.filter((name) => name.startsWith('highlight-engine-')).length };
    }, samples);
    for (const block of result.blocks) {
      const sample = samples[block.lang];
      expect({ lang: block.lang, text: block.text }).toEqual({ lang: block.lang, text: sample.code });
      expect({ lang: block.lang, tokens: block.tokens }).toEqual({ lang: block.lang, tokens: expect.arrayContaining(sample.tokens) });
      expect(block.foreign).toBe(0);
    }
    expect(result.blocks.map((b) => b.lang)).toEqual(Object.keys(samples));
    // Rust lifetimes are not strings; nothing highlighted without a grammar.
    expect(result.blocks.find((b) => b.lang === 'rust')!.tokens.filter((t) => t.startsWith('s:'))).toEqual(['s:\'x\'']);
    expect(result.blocks.find((b) => b.lang === 'brainfuck')!.tokens).toEqual([]);
    // One chunk per grammar, each loaded once (js and tsx share one); none for a language without a grammar.
    // The engine is a chunk of its own, loaded once with the first grammar.
    expect(result.engine).toBe(1);
    expect(result.chunks).toEqual(['c', 'csharp', 'css', 'diff', 'dockerfile', 'go', 'html', 'java', 'js', 'json', 'kotlin',
      'php', 'powershell', 'python', 'ruby', 'rust', 'shell', 'sql', 'swift', 'toml', 'yaml']);
  });

  const MATH_DOC = String.raw`Inline: $\frac{a}{b}$ and \(\sqrt{x}\) and $x_i^2$, then $$\sum_{i=1}^{n} i$$ in a line.

$$
\frac{1}{2}
$$

\[ \sqrt[3]{y} \]

It costs $5 and $10. Escaped \$x\$ stays. A lone $ sign. ` + '`$code$`' + String.raw` too.

Invalid: $\frac{a}$.`;

  test('math on: formulas become MathML once the converter has loaded (source until then, code when invalid); "$5 and $10" stays text', async () => {
    await openPage();
    const result = await page.evaluate(async (doc) => {
      // The shape of a MathML tree: `tag(children)`, leaves `tag:text`.
      const shape = (e: Element): string => (e.children.length ? `${e.localName}(${[...e.children].map(shape).join(' ')})` : `${e.localName}:${e.textContent}`);
      const { MarkdownStream, loadParser } = await import('/markdown.js' as string) as MarkdownModule;
      await loadParser();
      const root = document.body.appendChild(document.createElement('div'));
      const stream = new MarkdownStream(root, { math: true });
      stream.append(doc);
      stream.end();
      const before = [...root.querySelectorAll('.md-math')].map((e) => ({ elements: e.children.length, text: e.textContent }));
      await stream.settled();
      const holders = [...root.querySelectorAll('.md-math')];
      // The same DOM whatever the chunking (the converter is there now: formulas are converted as they come).
      const chunked = document.createElement('div');
      const again = new MarkdownStream(chunked, { math: true });
      for (let i = 0; i < doc.length; i += 3) again.append(doc.slice(i, i + 3));
      again.end();
      await again.settled();
      return {
        before,
        after: holders.map((e) => ({
          holder: `${e.tagName.toLowerCase()}.${e.className.replace(/ /g, '.')}`,
          math: e.firstElementChild?.namespaceURI === 'http://www.w3.org/1998/Math/MathML' ? shape(e.firstElementChild) : undefined,
          display: e.firstElementChild?.getAttribute('display') ?? null,
          code: e.firstElementChild?.localName === 'code' ? e.firstElementChild.textContent : undefined,
          only: e.childNodes.length,
        })),
        paragraphs: [...root.querySelectorAll(':scope > p')].map((p) => p.textContent),
        sameChunked: chunked.innerHTML === root.innerHTML,
        chunks: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.startsWith('/mathml-')).length,
      };
    }, MATH_DOC);
    // Until the converter is there: the source, as text.
    expect(result.before).toEqual([
      { elements: 0, text: '$\\frac{a}{b}$' },
      { elements: 0, text: '\\(\\sqrt{x}\\)' },
      { elements: 0, text: '$x_i^2$' },
      { elements: 0, text: '$$\\sum_{i=1}^{n} i$$' },
      { elements: 0, text: '$$\n\\frac{1}{2}\n$$' },
      { elements: 0, text: '\\[ \\sqrt[3]{y} \\]' },
      { elements: 0, text: '$\\frac{a}$' },
    ]);
    const [frac, sqrt, subsup, sum, display, root3, invalid] = result.after;
    expect(frac).toEqual({ holder: 'span.md-math', math: 'math(mfrac(mi:a mi:b))', display: null, code: undefined, only: 1 });
    expect(sqrt).toMatchObject({ holder: 'span.md-math', display: null, code: undefined, only: 1 });
    expect(sqrt.math).toMatch(/^math\(msqrt\((?:mrow\()?mi:x\b/);
    expect(subsup).toEqual({ holder: 'span.md-math', math: 'math(msubsup(mi:x mi:i mn:2))', display: null, code: undefined, only: 1 });
    expect(sum).toMatchObject({ holder: 'span.md-math.md-math-display', display: 'block' });
    expect(sum.math).toContain('munderover(mo:∑ mrow(mi:i mo:= mn:1) mi:n)');
    expect(display).toMatchObject({ holder: 'div.md-math.md-math-display', display: 'block', math: 'math(mfrac(mn:1 mn:2))' });
    expect(root3).toMatchObject({ holder: 'div.md-math.md-math-display', display: 'block', math: 'math(mroot(mi:y mn:3))' });
    expect(invalid).toEqual({ holder: 'span.md-math', math: undefined, display: null, code: '$\\frac{a}$', only: 1 });
    expect(result.paragraphs.slice(1)).toEqual(['It costs $5 and $10. Escaped $x$ stays. A lone $ sign. $code$ too.', 'Invalid: $\\frac{a}$.']);
    expect(result.sameChunked).toBe(true);
    expect(result.chunks).toBe(1);
  });

  test('math off (the default): $ is text and the converter is never loaded', async () => {
    await openPage();
    const result = await page.evaluate(async (doc) => {
      const { MarkdownStream, loadParser } = await import('/markdown.js' as string) as MarkdownModule;
      await loadParser();
      const root = document.createElement('div');
      const stream = new MarkdownStream(root);
      stream.append(doc);
      stream.end();
      await stream.settled();
      return {
        math: root.querySelectorAll('.md-math, math').length,
        first: root.firstElementChild!.textContent,
        blocks: [...root.children].map((e) => e.tagName.toLowerCase()),
        chunks: performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.startsWith('/mathml-')),
      };
    }, MATH_DOC);
    expect(result.math).toBe(0);
    // Markdown as before: `\(` is an escaped parenthesis.
    expect(result.first).toBe('Inline: $\\frac{a}{b}$ and (\\sqrt{x}) and $x_i^2$, then $$\\sum_{i=1}^{n} i$$ in a line.');
    expect(result.blocks).toEqual(['p', 'p', 'p', 'p', 'p']);
    expect(result.chunks).toEqual([]);
  });

  for (const path of ['/test.html', '/csp.html']) {
    test(`an XSS corpus streamed as an answer executes nothing and leaves no active markup (${path})`, async () => {
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(String(err)));
      await openPage(path);
      if (path === '/test.html') {
        // The trap works: the same payload through innerHTML does set the flag on this page.
        const control = await page.evaluate(async () => {
          const div = document.body.appendChild(document.createElement('div'));
          div.innerHTML = '<img src=x onerror="window.__xss = \'control\'">';
          await new Promise((r) => setTimeout(r, 300));
          const w = window as unknown as { __xss?: string };
          const value = w.__xss;
          delete w.__xss;
          div.remove();
          return value;
        });
        expect(control).toBe('control');
      }
      backend.answers.set('xss please', chunks(XSS_DOC, 24));
      await ask('xss please');
      await page.waitForTimeout(500); // time for any onerror/onload to fire
      const found = await page.evaluate(() => {
        const root = document.querySelector('bedrock-chat')!.shadowRoot!;
        const all = [...root.querySelectorAll('*')];
        // The widget's own controls under an answer (the thumbs icons are SVG) are not model output.
        const messages = [...root.querySelectorAll('[part="log"] *')].filter((e) => !e.closest('[part~="message-actions"]'));
        const answer = [...root.querySelectorAll('[part~="assistant"] [part="message-text"]')].pop()!;
        return {
          xss: (window as unknown as { __xss?: unknown }).__xss,
          active: messages.filter((e) => /^(script|iframe|object|embed|img|svg|details|style|form|input|link|meta|base)$/i.test(e.tagName))
            .map((e) => e.tagName),
          handlers: all.flatMap((e) => [...e.attributes].filter((a) => /^on/i.test(a.name)).map((a) => `${e.tagName} ${a.name}`)),
          styles: all.filter((e) => e.hasAttribute('style')).map((e) => e.tagName),
          urls: all.flatMap((e) => ['href', 'src', 'action', 'formaction', 'xlink:href', 'srcdoc'].filter((n) => e.hasAttribute(n)).map((n) => e.getAttribute(n)!)),
          anchors: [...answer.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href'), rel: a.rel, target: a.target, text: a.textContent })),
          text: answer.textContent ?? '',
          csp: (window as unknown as { cspViolations: string[] }).cspViolations,
        };
      });
      expect(found.xss).toBeUndefined();
      expect(found.active).toEqual([]);
      expect(found.handlers).toEqual([]);
      expect(found.styles).toEqual([]);
      for (const url of found.urls) expect(url).toMatch(/^(https?:\/\/|mailto:)/);
      // Only the allow-listed links of the last payload became links, each opening safely in a new tab.
      expect(found.anchors).toEqual(XSS_ALLOWED_ANCHORS);
      // The markup is shown as text.
      for (const literal of XSS_LITERALS) expect(found.text).toContain(literal);
      expect(found.csp).toEqual([]);
      expect(errors).toEqual([]);
    });
  }

  test('the bundle loads a grammar chunk only for the languages of an answer (a failed one leaves its block plain) and no math chunk without `math`', async () => {
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(String(err)));
    const requested: string[] = [];
    page.on('request', (req) => {
      const name = new URL(req.url()).pathname.slice(1);
      const chunk = /^bedrock-chat-(lang-[a-z]+|math)-[\w-]+\.js$/.exec(name);
      if (chunk) requested.push(chunk[1]);
    });
    // The go grammar cannot be loaded.
    await page.route(/\/bedrock-chat-lang-go-[\w-]+\.js$/, (route) => route.abort());
    const goFailed = page.waitForEvent('requestfailed', { predicate: (req) => req.url().includes('/bedrock-chat-lang-go-'), timeout: 20_000 });
    backend.answers.set('code please', chunks12('Here:\n\n```python\ndef f():\n    return 1\n```\n\n```tsx\nconst a = <b/>;\n```\n\n'
      + '```go\nfunc main() {}\n```\n\n```text\nplain\n```\n\nAnd $x$ costs $5.'));
    await openPage();
    expect(requested).toEqual([]);
    await ask('code please');
    const answer = page.locator(ASSISTANT_TEXT).last();
    await answer.locator('code.language-python .tok-k').first().waitFor();
    await answer.locator('code.language-tsx .tok-k').first().waitFor();
    await expect(answer.locator('code.language-python').textContent()).resolves.toBe('def f():\n    return 1');
    await expect(answer.locator('code.language-python .tok-k').allTextContents()).resolves.toEqual(['def', 'return']);
    await expect(answer.locator('code.language-tsx').textContent()).resolves.toBe('const a = <b/>;');
    await goFailed;
    await page.evaluate(() => new Promise((done) => setTimeout(done, 100))); // the failed import settles
    // The failed grammar: the block keeps its text, plain; nothing is thrown.
    await expect(answer.locator('code.language-go').evaluate((e) => ({ children: e.children.length, text: e.textContent })))
      .resolves.toEqual({ children: 0, text: 'func main() {}' });
    await expect(answer.locator('code.language-text').evaluate((e) => e.children.length)).resolves.toBe(0);
    // Without `math`, `$x$` is text.
    await expect(answer.locator('p').last().textContent()).resolves.toBe('And $x$ costs $5.');
    await expect(answer.locator('.md-math').count()).resolves.toBe(0);
    expect(requested.sort()).toEqual(['lang-go', 'lang-js', 'lang-python']);
    expect(errors).toEqual([]);
  });

  test('`math` on <bedrock-chat>: formulas in answers become MathML (the converter loads once an answer has one); turning it on renders shown answers again', async () => {
    const requested: string[] = [];
    page.on('request', (req) => {
      if (req.url().includes('/bedrock-chat-math-')) requested.push(req.url());
    });
    backend.answers.set('plain please', chunks12('No formula here, it costs $5 and $10.'));
    backend.answers.set('math please', chunks12('The root: $\\sqrt{2}$, and\n\n$$\n\\sum_{i=1}^{n} i = \\frac{n(n+1)}{2}\n$$\n\nCosts $5 and $10.'));
    await openPage();
    await ask('math please');
    const answer = page.locator(ASSISTANT_TEXT).last();
    // Off by default: the answer is text, nothing is loaded.
    await expect(answer.locator('.md-math').count()).resolves.toBe(0);
    await expect(answer.locator('p').first().textContent()).resolves.toBe('The root: $\\sqrt{2}$, and');
    expect(requested).toEqual([]);

    // On (the property of <bedrock-chat>, forwarded to the loaded chat; the attribute is used below): the answer is
    // rendered again with its formulas.
    const forwarded = await page.evaluate(() => {
      const host = document.querySelector('bedrock-chat') as HTMLElement & { math: boolean; panel: { math: boolean } };
      const before = host.math;
      host.math = true;
      return { before, after: host.math, panel: host.panel.math };
    });
    expect(forwarded).toEqual({ before: false, after: true, panel: true });
    await answer.locator('.md-math math').nth(1).waitFor();
    const shapes = () => answer.locator('.md-math').evaluateAll((holders) => holders.map((h) => {
      const shape = (e: Element): string => (e.children.length ? `${e.localName}(${[...e.children].map(shape).join(' ')})` : `${e.localName}:${e.textContent}`);
      const math = h.firstElementChild!;
      return { display: math.getAttribute('display'), ns: math.namespaceURI, shape: shape(math) };
    }));
    const [inline, display] = await shapes();
    expect(inline).toEqual({ display: null, ns: 'http://www.w3.org/1998/Math/MathML', shape: expect.stringMatching(/^math\(msqrt\((?:mrow\()?mn:2\b/) });
    expect(display.display).toBe('block');
    expect(display.shape).toContain('munderover(mo:∑ mrow(mi:i mo:= mn:1) mi:n)');
    expect(display.shape).toContain('mfrac(mrow(mi:n mrow(mo:( mi:n mo:+ mn:1 mo:))) mn:2)');
    await expect(answer.locator('p').last().textContent()).resolves.toBe('Costs $5 and $10.');
    // Shown as a formula (MathML is laid out: the fraction has a height).
    await expect(answer.locator('math mfrac').evaluate((e) => e.getBoundingClientRect().height)).resolves.toBeGreaterThan(0);

    // A new answer without a formula loads nothing more; the converter was loaded once.
    await ask('plain please');
    await expect(page.locator(ASSISTANT_TEXT).last().textContent()).resolves.toBe('No formula here, it costs $5 and $10.');
    await ask('math please');
    await page.locator(ASSISTANT_TEXT).last().locator('.md-math math').nth(1).waitFor();
    expect(requested).toHaveLength(1);
    expect(await axeViolations(page)).toEqual([]);
  });

  for (const path of ['/test.html', '/csp.html']) {
    test(`XSS inside formulas executes nothing and leaves only allow-listed MathML (${path})`, async () => {
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(String(err)));
      backend.answers.set('math xss please', chunks(MATH_XSS_DOC, 160));
      await openPage(path);
      await page.evaluate(() => document.querySelector('bedrock-chat')!.setAttribute('math', ''));
      await ask('math xss please');
      const answer = page.locator(ASSISTANT_TEXT).last();
      // Every formula converted or refused (none left as source text), then time for any onerror/onload to fire.
      await page.waitForFunction(() => {
        const holders = [...document.querySelector('bedrock-chat')!.shadowRoot!.querySelectorAll('[part~="assistant"] .md-math')];
        return holders.length > 0 && holders.every((h) => h.firstElementChild !== null);
      });
      await page.waitForTimeout(500);
      const audit = await answer.evaluate(auditMarkup, MATHML_ALLOW);
      const found = await answer.evaluate((root) => {
        const all = [...root.querySelectorAll('*')];
        const holders = [...root.querySelectorAll('.md-math')];
        return {
          xss: (window as unknown as { __xss?: unknown }).__xss,
          // Inside a formula: MathML elements, or the source as code.
          foreign: holders.flatMap((h) => [...h.querySelectorAll('*')])
            .filter((e) => e.namespaceURI !== 'http://www.w3.org/1998/Math/MathML' && !(e.localName === 'code' && e.parentElement!.classList.contains('md-math')))
            .map((e) => `${e.namespaceURI} ${e.localName}`),
          misplaced: all.filter((e) => e.namespaceURI === 'http://www.w3.org/1998/Math/MathML' && !e.closest('.md-math')).map((e) => e.localName),
          styles: all.filter((e) => e.hasAttribute('style')).map((e) => e.localName),
          refused: holders.filter((h) => h.firstElementChild!.localName === 'code').map((h) => h.textContent),
          formulas: root.querySelectorAll('.md-math > math').length,
          text: root.textContent ?? '',
          csp: (window as unknown as { cspViolations: string[] }).cspViolations,
        };
      });
      expect(found.xss).toBeUndefined();
      expect(audit).toEqual({ tags: [], attributes: [], handlers: [], urls: [], anchors: [] });
      expect(found.foreign).toEqual([]);
      expect(found.misplaced).toEqual([]);
      expect(found.styles).toEqual([]);
      for (const source of MATH_XSS_REFUSED) expect(found.refused).toContain(source);
      // The huge nesting is refused; the harmless formulas (colours, dropped; 200 nested roots; `$x$`) are MathML.
      expect(found.refused.some((s) => s.startsWith('$$'.concat('{'.repeat(100))))).toBe(true);
      expect(found.formulas).toBe(3);
      expect(found.text).toContain('<img src=x onerror="window.__xss=\'after\'">');
      expect(found.csp).toEqual([]);
      expect(errors).toEqual([]);
    });
  }

  test('a rich answer: headings, lists, table, quote and code blocks with a working copy button; restored after a reload', async () => {
    await openPage();
    await ask('rich please');
    const answer = page.locator(ASSISTANT_TEXT).last();
    const check = async () => {
      await expect(answer.locator('h1').textContent()).resolves.toBe('Release notes');
      await expect(answer.locator('h2').textContent()).resolves.toBe('Steps');
      await expect(answer.locator('ol > li').count()).resolves.toBe(2);
      await expect(answer.locator('ol > li > ul > li').allTextContents()).resolves.toEqual(['nested bullet', 'another']);
      await expect(answer.locator('th').allTextContents()).resolves.toEqual(['Name', 'Count', 'Note']);
      await expect(answer.locator('td').allTextContents()).resolves.toEqual(['a', '1', 'x', 'b', '22', 'y']);
      const align = await answer.locator('tbody tr:first-child td').evaluateAll((tds) => tds.map((td) => getComputedStyle(td).textAlign));
      expect(align).toEqual(['left', 'right', 'center']);
      await expect(answer.locator('blockquote').textContent()).resolves.toBe('A quote');
      await expect(answer.locator('hr').count()).resolves.toBe(1);
      await expect(answer.locator('.md-lang').allTextContents()).resolves.toEqual(['bash', 'ts']);
      await expect(answer.locator('a').getAttribute('href')).resolves.toBe('https://example.com/docs');
    };
    await check();

    // Copy: the button confirms visibly, and the clipboard holds exactly the code.
    const copy = answer.locator('.md-code').last().getByRole('button', { name: 'Copy' });
    await copy.click();
    const copied = answer.locator('.md-code').last().getByRole('button', { name: 'Copied' });
    await copied.waitFor();
    await expect(copied.evaluate((b) => b.classList.contains('md-copied'))).resolves.toBe(true);
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe('const answer: number = 42; // the answer\nconsole.log("done");');
    await answer.locator('li .md-copy').click();
    await expect(page.evaluate(() => navigator.clipboard.readText())).resolves.toBe('npm install cdk-bedrock-chat');
    await copied.waitFor({ state: 'detached', timeout: 5000 }); // back to "Copy"

    expect(await axeViolations(page)).toEqual([]);

    // A stored conversation is rendered as markdown too.
    await openPage();
    await answer.locator('h1').waitFor();
    await check();
    await expect(page.locator('[part~="user"] [part="message-text"]').last().textContent()).resolves.toBe('rich please');
  });

  test('bundle size (reported; budget 45 KB gzip)', () => {
    const code = readFileSync(BUNDLE);
    const gzip = gzipSync(code).length;
    // eslint-disable-next-line no-console
    console.log(`bedrock-chat.js: ${(code.length / 1024).toFixed(1)} KB, ${(gzip / 1024).toFixed(1)} KB gzip`);
    expect(gzip).toBeLessThan(45 * 1024);
  });
});
